package ingest

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/releaselake/releaselake"
)

// RebuildAdvisories recomputes the yellow_advisories rows from the red table
// alone, as the runs made them: each run's advisory answers
// (releaselake.AdvisoryRed), oldest run first, through src.ParseAdvisories
// given the product's rows before the run. Runs that committed nothing are
// skipped, and products no longer in the catalog left out. A run whose
// advisories commit failed after it fetched (its step's error) is replayed
// too: the rebuild then holds what the next run would have fetched again.
func RebuildAdvisories(ctx context.Context, lake releaselake.Lake, cat *releaselake.Catalog, src releaselake.AdvisorySource) ([]releaselake.Advisory, error) {
	runs, failed, err := redRuns(ctx, lake)
	if err != nil {
		return nil, err
	}
	state := map[string][]releaselake.Advisory{}
	for _, run := range runs {
		if failed[run.ID] || !slices.Contains(run.Sources, releaselake.AdvisoryRed) {
			continue
		}
		lines, err := lake.ReadRed(ctx, run, releaselake.AdvisoryRed)
		if err != nil {
			return nil, err
		}
		answers := map[string][][]byte{}
		var order []string
		for i, l := range lines {
			product, answer, err := readRedLine(l)
			if err != nil {
				return nil, fmt.Errorf("rebuild advisories of run %s: line %d: %w", run.ID, i+1, err)
			}
			if answers[product] == nil {
				order = append(order, product)
			}
			answers[product] = append(answers[product], answer)
		}
		for _, key := range order {
			p, ok := cat.Product(key)
			if !ok {
				continue
			}
			rows, err := src.ParseAdvisories(p, answers[key], state[key])
			if err != nil {
				return nil, fmt.Errorf("rebuild advisories of run %s: %s: %w", run.ID, key, err)
			}
			state[key] = rows
		}
	}
	var out []releaselake.Advisory
	for _, key := range slices.Sorted(maps.Keys(state)) {
		if _, ok := cat.Product(key); ok {
			out = append(out, state[key]...)
		}
	}
	return out, nil
}
