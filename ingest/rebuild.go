package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/releaselake/releaselake"
)

// Rebuild recomputes the yellow table's rows from the red table alone, the way
// the runs made them: each run's answers, oldest run first, through its source's
// Parse given the rows before it, merged as Run merges (firstSeenAt is the run's
// start, to the second). Runs whose record says failed are skipped, as their rows
// were never committed. Lines of products no longer in the catalog are skipped.
func Rebuild(ctx context.Context, lake releaselake.Lake, cat *releaselake.Catalog, sources map[string]releaselake.Source) ([]releaselake.Release, error) {
	runs, err := lake.RedRuns(ctx)
	if err != nil {
		return nil, err
	}
	records, err := lake.Runs(ctx, 0)
	if err != nil {
		return nil, err
	}
	failed := map[string]bool{}
	started := map[string]time.Time{}
	for _, r := range records {
		failed[r.ID] = r.Status == releaselake.RunFailed
		started[r.ID] = r.StartedAt
	}
	// Ids order runs to the second; within a second, the records' start times do.
	sort.SliceStable(runs, func(i, j int) bool {
		a, b := runs[i].ID[:min(16, len(runs[i].ID))], runs[j].ID[:min(16, len(runs[j].ID))]
		if a != b {
			return a < b
		}
		return started[runs[i].ID].Before(started[runs[j].ID])
	})
	var rows []releaselake.Release
	for _, run := range runs {
		if failed[run.ID] {
			continue
		}
		at, err := RunTime(run.ID)
		if err != nil {
			return nil, err
		}
		prev := map[string][]releaselake.Release{}
		for _, r := range rows {
			prev[r.Product] = append(prev[r.Product], r)
		}
		crawled := map[string][]releaselake.Release{}
		for _, kind := range run.Sources {
			src, ok := sources[kind]
			if !ok {
				return nil, fmt.Errorf("rebuild run %s: no source %q to parse its answers", run.ID, kind)
			}
			lines, err := lake.ReadRed(ctx, run, kind)
			if err != nil {
				return nil, err
			}
			byProduct := map[string][][]byte{}
			var order []string
			for i, l := range lines {
				var rl RedLine
				if err := json.Unmarshal(l, &rl); err != nil {
					return nil, fmt.Errorf("rebuild run %s: %s line %d: %w", run.ID, kind, i+1, err)
				}
				if byProduct[rl.Product] == nil {
					order = append(order, rl.Product)
				}
				byProduct[rl.Product] = append(byProduct[rl.Product], rl.Answer)
			}
			for _, key := range order {
				p, ok := cat.Product(key)
				if !ok {
					continue
				}
				res, err := src.Parse(p, byProduct[key], prev[key])
				if err != nil {
					continue // the run kept the product's rows, and so does the rebuild
				}
				crawled[key] = res.Releases
			}
		}
		rows, _ = Merge(rows, crawled, at)
	}
	return rows, nil
}

// RunTime is when a run started, read from its id (20261125T000000Z-3f9a).
func RunTime(id string) (time.Time, error) {
	if len(id) < 16 {
		return time.Time{}, fmt.Errorf("run id %q: no time", id)
	}
	t, err := time.Parse("20060102T150405Z", id[:16])
	if err != nil {
		return time.Time{}, fmt.Errorf("run id %q: %w", id, err)
	}
	return t, nil
}
