package lake

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/releaselake/releaselake"
)

// writeParts compares rows (grouped by product, each product's rows in the
// order given) with the version below (c.prev) part by part, as files.go
// lays the table out, writes the parts that changed as new data files and
// their change set (cdf.go), and records the files replaced, the files
// added and the change set in c. A part is the same as its file when its
// rows, in the order given, have the file's fingerprint (the file's rows
// are sorted and unique, so those are too); a part that changed is sorted by
// tag and checked for duplicate (product, tag) pairs (class Invalid). The files it wrote are in c (as
// c.files() lists them) even when it fails, for the caller to remove.
// baseRows are the caller's rows of the version below, if it gave them
// (releaselake.CommitInfo.Base).
func (s *Store) writeParts(ctx context.Context, c *pending, rows sorted, baseRows []releaselake.Release) error {
	files, clustered := liveFiles(c.prev)
	if md := c.prev.metaData; md != nil && md.SchemaString != schemaString {
		clustered = false // the table's columns changed: every file is rewritten
	}
	parts := cut(rows, files, clustered)
	workers := runtime.GOMAXPROCS(0)
	if err := runTasks(compareTasks(rows, parts), workers); err != nil {
		return err
	}
	var changed []int // indexes of the parts that changed
	for i, p := range parts {
		if p.same {
			continue
		}
		part := rows.slice(p.lo, p.hi)
		if part.sortRuns() && len(p.old) == 1 && p.old[0].rows == int64(part.len()) && fingerprint(part) == p.old[0].fingerprint {
			continue // the file's rows, given in another order
		}
		if err := part.unique(); err != nil {
			return err
		}
		changed = append(changed, i)
		for _, f := range p.old {
			c.removes = append(c.removes, f.add)
		}
	}
	slices.SortFunc(c.removes, func(a, b *addFile) int { return strings.Compare(a.Path, b.Path) })

	var changes []changeRow
	if c.base != releaselake.NoVersion && len(changed) > 0 {
		old, err := s.oldRows(ctx, parts, changed, files, clustered, baseRows)
		if err != nil {
			return fmt.Errorf("read v%d for the change set: %w", c.base, err)
		}
		for k, i := range changed {
			changes = append(changes, diffSorted(old[k], rows.slice(parts[i].lo, parts[i].hi))...)
		}
	}
	// Version 0's rows are all inserts, which readers take from its adds.
	c.dataChange = c.base == releaselake.NoVersion || len(changes) > 0

	var runs []sorted
	for _, i := range changed {
		p := parts[i]
		for _, r := range split(rows.slice(p.lo, p.hi), s.fileRows) {
			runs = append(runs, rows.slice(p.lo+r[0], p.lo+r[1]))
		}
	}
	adds := make([]*addFile, len(runs))
	tasks := make([]func() error, len(runs))
	for k, r := range runs {
		tasks[k] = func() (err error) {
			adds[k], err = s.writeDataFile(ctx, r, c.base+1, c.txn, k, c.now)
			return err
		}
	}
	err := runTasks(tasks, workers)
	for _, a := range adds {
		if a != nil {
			c.adds = append(c.adds, a)
		}
	}
	if err != nil {
		return err
	}
	if len(changes) > 0 {
		c.cdc, err = s.writeChangeFile(ctx, changes, c.base+1, c.txn)
	}
	return err
}

// compareTasks returns tasks that mark each part whose rows are its old
// file's (same row count and fingerprint) as the same.
func compareTasks(rows sorted, parts []part) []func() error {
	var tasks []func() error
	for i := range parts {
		p := &parts[i]
		if len(p.old) != 1 || p.old[0].rows != int64(p.hi-p.lo) {
			continue
		}
		tasks = append(tasks, func() error {
			p.same = fingerprint(rows.slice(p.lo, p.hi)) == p.old[0].fingerprint
			return nil
		})
	}
	return tasks
}

// oldRows returns, for each changed part (indexes into parts), the rows of
// the version below that it replaces, sorted: the caller's base rows of that
// part when, in the order given, their row count and fingerprint are its
// file's (so they are that file's rows, in its order), else the rows read
// from its files.
func (s *Store) oldRows(ctx context.Context, parts []part, changed []int, files []liveFile, clustered bool, baseRows []releaselake.Release) ([]sorted, error) {
	out := make([]sorted, len(changed))
	known := make([]bool, len(changed))
	if clustered && len(baseRows) > 0 {
		given := groupReleases(baseRows)
		gparts := cut(given, files, true) // one per file, as parts
		tasks := make([]func() error, 0, len(changed))
		for k, i := range changed {
			g, f := gparts[i], parts[i].old[0]
			if int64(g.hi-g.lo) != f.rows {
				continue
			}
			tasks = append(tasks, func() error {
				if rows := given.slice(g.lo, g.hi); fingerprint(rows) == f.fingerprint {
					out[k], known[k] = rows, true
				}
				return nil
			})
		}
		if err := runTasks(tasks, runtime.GOMAXPROCS(0)); err != nil {
			return nil, err
		}
	}
	for k, i := range changed {
		if known[k] || len(parts[i].old) == 0 {
			continue
		}
		rels, err := s.readFiles(ctx, fileNames(parts[i].old))
		if err != nil {
			return nil, err
		}
		out[k] = sortReleases(rels)
	}
	return out, nil
}

// readFiles reads every row of the named data files.
func (s *Store) readFiles(ctx context.Context, names []string) ([]releaselake.Release, error) {
	files := make([]*dataFile, 0, len(names))
	defer func() {
		for _, df := range files {
			df.f.Close()
		}
	}()
	for _, name := range names {
		df, err := s.openDataFile(ctx, name)
		if err != nil {
			return nil, err
		}
		files = append(files, df)
	}
	return readReleases(ctx, files)
}
