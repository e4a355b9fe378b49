package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/releaselake/releaselake"
)

// Rebuild recomputes the yellow table's rows from the red table alone, the way
// the runs made them: each run's answers, oldest run first, through its source's
// Parse given the rows before it, merged as Run merges (firstSeenAt is the run's
// start, to the second). Runs whose record says failed, or cancelled before
// they committed, are skipped, as their rows were never committed. Lines of
// products no longer in the catalog are skipped. The rows come packed
// (Rebuilt): compared with yellow's before they are unpacked, they need not be
// held twice beside yellow's.
func Rebuild(ctx context.Context, lake releaselake.Lake, cat *releaselake.Catalog, sources map[string]releaselake.Source) (*Rebuilt, error) {
	runs, failed, err := redRuns(ctx, lake)
	if err != nil {
		return nil, err
	}
	// The state between runs, by product, packed (pack.go): a run replaces
	// the rows of the products it parsed, and only those are touched.
	state := map[string]packed{}
	for _, run := range runs {
		if failed[run.ID] {
			continue
		}
		at, err := RunTime(run.ID)
		if err != nil {
			return nil, err
		}
		crawled := map[string]parsedRows{}
		for _, kind := range run.Sources {
			if kind == releaselake.AdvisoryRed {
				continue // yellow_advisories' answers, not yellow's rows
			}
			src, ok := sources[kind]
			if !ok {
				return nil, fmt.Errorf("rebuild run %s: no source %q to parse its answers", run.ID, kind)
			}
			if err := parseRed(ctx, lake, cat, src, run, kind, at, state, crawled); err != nil {
				return nil, err
			}
		}
		own := true
		for _, p := range crawled {
			own = own && p.own
		}
		if own {
			for key, p := range crawled {
				state[key] = p.merged
			}
			continue
		}
		// Rows filed under another product's key: Merge the whole state, as
		// Run would. A product whose rows were its own was merged already;
		// merging its rows again gives them back as they are.
		raw := map[string][]releaselake.Release{}
		for key, p := range crawled {
			if p.own {
				raw[key] = p.merged.appendTo(nil)
			} else {
				raw[key] = p.raw
			}
		}
		var rows []releaselake.Release
		for _, key := range slices.Sorted(maps.Keys(state)) {
			rows = state[key].appendTo(rows)
		}
		rows, _ = Merge(rows, raw, at)
		byProduct := map[string][]releaselake.Release{}
		for _, r := range rows {
			byProduct[r.Product] = append(byProduct[r.Product], r)
		}
		clear(state)
		for key, rows := range byProduct {
			state[key] = pack(rows)
		}
	}
	return &Rebuilt{state: state}, nil
}

// Rebuilt is the rows Rebuild recomputed, held packed by product.
type Rebuilt struct {
	state map[string]packed
}

// Len is how many rows there are.
func (r *Rebuilt) Len() int {
	n := 0
	for _, p := range r.state {
		n += p.n
	}
	return n
}

// Compare is Compare(old, r.Rows()), unpacking one product at a time where
// old holds each product's rows together (as a snapshot does).
func (r *Rebuilt) Compare(old []releaselake.Release) Diff {
	was, together := productSpans(old)
	if !together {
		return compareRows(old, r.rows(false))
	}
	var d Diff
	var c comparer
	var buf []releaselake.Release
	for key, p := range r.state {
		w := was[key]
		buf = p.appendTo(buf[:0])
		pd := c.diff(old[w.lo:w.hi], buf)
		d.Added, d.Changed, d.Removed = d.Added+pd.Added, d.Changed+pd.Changed, d.Removed+pd.Removed
	}
	for key, w := range was {
		if _, ok := r.state[key]; !ok {
			d.Removed += w.hi - w.lo
		}
	}
	return d
}

// Rows unpacks the rows, product by product in key order, letting the
// collector have the packed form as it goes: r is empty after.
func (r *Rebuilt) Rows() []releaselake.Release {
	return r.rows(true)
}

func (r *Rebuilt) rows(drain bool) []releaselake.Release {
	rows := make([]releaselake.Release, 0, r.Len())
	for _, key := range slices.Sorted(maps.Keys(r.state)) {
		rows = r.state[key].appendTo(rows)
		if drain {
			delete(r.state, key) // what rows does not point into is garbage now
		}
	}
	return rows
}

// parsedRows is what a run's answers parsed to for one product: merged with
// the product's rows before the run and packed if every row is the product's
// own (own), else as Parse returned them (raw).
type parsedRows struct {
	own    bool
	merged packed
	raw    []releaselake.Release
}

// parseRed parses one run's red lines of one source into crawled, product by
// product on every CPU (Parse uses nothing but its arguments), given each
// product's rows before the run in prev, and merges each product's rows with
// them as of the run's start at. Products that fail to parse are left out, as
// the run kept their rows.
func parseRed(ctx context.Context, lake releaselake.Lake, cat *releaselake.Catalog, src releaselake.Source,
	run releaselake.RedRun, kind string, at time.Time, prev map[string]packed, crawled map[string]parsedRows) error {
	lines, err := lake.ReadRed(ctx, run, kind)
	if err != nil {
		return err
	}
	index := map[string]int{} // product -> its place in order and answers
	var order []string
	var answers [][][]byte
	for i, l := range lines {
		product, answer, err := readRedLine(l)
		if err != nil {
			return fmt.Errorf("rebuild run %s: %s line %d: %w", run.ID, kind, i+1, err)
		}
		k, ok := index[product]
		if !ok {
			k = len(order)
			index[product] = k
			order, answers = append(order, product), append(answers, nil)
		}
		answers[k] = append(answers[k], answer)
	}
	lines = nil // from here each product's lines go once it is parsed
	results := make([]parsedRows, len(order))
	ok := make([]bool, len(order))
	invalid := make([]bool, len(order))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				p, known := cat.Product(order[i])
				if known {
					old := prev[order[i]].appendTo(nil)
					res, err := src.Parse(p, answers[i], old)
					if err == nil {
						results[i], ok[i], answers[i] = parsed(order[i], old, res.Releases, at), true, nil
						continue
					}
					// The run kept the product's rows, and so does the rebuild.
				}
				// A line that is not JSON is a broken red file, not an upstream
				// answer the parser refused (which reads every line whole).
				for _, a := range answers[i] {
					invalid[i] = invalid[i] || !json.Valid(a)
				}
				answers[i] = nil
			}
		})
	}
	for i := range order {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, key := range order {
		if invalid[i] {
			return fmt.Errorf("rebuild run %s: %s: a line of product %s is not JSON", run.ID, kind, key)
		}
		if ok[i] {
			crawled[key] = results[i]
		}
	}
	return nil
}

// parsed merges one product's parsed rows with its old ones, as of at, and
// packs them, if every row is the product's; else it keeps them as parsed.
func parsed(product string, old, rows []releaselake.Release, at time.Time) parsedRows {
	for i := range rows {
		if rows[i].Product != product {
			return parsedRows{raw: rows}
		}
	}
	// rows is ours: merge it in place.
	rows, _ = mergeProduct(rows[:0], old, rows, at)
	return parsedRows{own: true, merged: pack(rows)}
}

// readRedLine splits a red line into its product and answer. Lines are
// written by json.Marshal of a RedLine, so they are read without decoding the
// answer (its parser does); any other shape is decoded in full.
func readRedLine(l []byte) (string, json.RawMessage, error) {
	const head, mid = `{"product":"`, `","answer":`
	if rest, ok := bytes.CutPrefix(l, []byte(head)); ok && bytes.HasSuffix(rest, []byte("}")) {
		if i := bytes.IndexByte(rest, '"'); i >= 0 && bytes.IndexByte(rest[:i], '\\') < 0 &&
			bytes.HasPrefix(rest[i:], []byte(mid)) {
			return string(rest[:i]), rest[i+len(mid) : len(rest)-1], nil
		}
	}
	var rl RedLine
	if err := json.Unmarshal(l, &rl); err != nil {
		return "", nil, err
	}
	return rl.Product, rl.Answer, nil
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

// redRuns returns the runs of the red table in the order they ran, and which
// of them committed nothing (failed, or cancelled before their commit).
func redRuns(ctx context.Context, lake releaselake.Lake) ([]releaselake.RedRun, map[string]bool, error) {
	runs, err := lake.RedRuns(ctx)
	if err != nil {
		return nil, nil, err
	}
	records, err := lake.Runs(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	failed := map[string]bool{}
	started := map[string]time.Time{}
	for _, r := range records {
		failed[r.ID] = r.Status == releaselake.RunFailed || (r.Status == releaselake.RunCancelled && r.Version == releaselake.NoVersion)
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
	return runs, failed, nil
}
