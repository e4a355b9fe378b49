package lake

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/releaselake/releaselake"
)

// Compaction, as Delta's OPTIMIZE: files get small when products leave the
// table (a commit rewrites a part without the rows that left, files.go), and
// a table written before this layout, or by another engine, is not laid out
// by product at all. Optimize rewrites runs of small neighbouring files into
// files of the target size, or a table not laid out by product whole; its
// commit changes no row: its removes and adds say dataChange false, it has
// no change set, and change data readers skip it. The files it replaces stay
// until vacuum removes them after the retention, so every older version
// stays readable until then, as after any commit.

// smallFileShare: a file holding less than this share of the target rows
// is small, and merged with small neighbours.
const smallFileShare = 4

// optimizeSmallFiles is how many small files it takes for the schedule to
// compact (Layout.NeedsOptimize): fewer cost readers little.
const optimizeSmallFiles = 8

// Layout describes yellow's head: its data files and how many are small.
type Layout struct {
	Version    int64 // the head; releaselake.NoVersion for an empty lake
	Files      int   // live data files
	SmallFiles int   // files under a quarter of the target rows that have a small neighbour
	Rows       int64 // rows, by the files' stats
	Bytes      int64 // bytes of the live data files
	// Clustered is whether the files are laid out by product (files.go); a
	// table that is not is rewritten whole by its next commit or Optimize.
	Clustered bool
}

// NeedsOptimize reports whether the file count passed the threshold at which
// the schedule compacts: optimizeSmallFiles small files with small
// neighbours, or a table not laid out by product.
func (l Layout) NeedsOptimize() bool {
	return l.SmallFiles >= optimizeSmallFiles || (!l.Clustered && l.Files > 0)
}

// OptimizeResult says what Optimize did.
type OptimizeResult struct {
	Version       int64 // the version it committed; releaselake.NoVersion if nothing needed compacting
	FilesBefore   int   // live data files before
	FilesAfter    int
	FilesRemoved  int
	FilesAdded    int
	RowsRewritten int64
	BytesWritten  int64
}

// Layout reads the head's log (no data file) and describes its files.
func (s *Store) Layout(ctx context.Context) (Layout, error) {
	l, _, err := s.layout(ctx)
	return l, boundary(err, "describe yellow's files")
}

// layout returns the head's Layout and the groups of files Optimize would
// merge (with the state they are of).
func (s *Store) layout(ctx context.Context) (Layout, *compaction, error) {
	head, lst, err := s.head(ctx)
	if err != nil || head == releaselake.NoVersion {
		return Layout{Version: releaselake.NoVersion, Clustered: true}, nil, err
	}
	st, err := s.state(ctx, lst, head)
	if err != nil {
		return Layout{}, nil, err
	}
	files, clustered := liveFiles(st)
	l := Layout{Version: head, Files: len(files), Clustered: clustered}
	for _, f := range files {
		l.Rows += max(f.rows, 0)
		l.Bytes += f.add.Size
	}
	c := &compaction{state: st, groups: mergeGroups(files, clustered, s.fileRows)}
	if clustered { // else the one group is every file, small or not
		for _, g := range c.groups {
			l.SmallFiles += len(g)
		}
	}
	return l, c, nil
}

// compaction is what Optimize rewrites: groups of files of state, each
// written again as files of the target size.
type compaction struct {
	state  *tableState
	groups [][]liveFile
}

// mergeGroups returns the runs of files Optimize merges: in a table laid
// out by product, runs of neighbouring small files packed up to the target
// rows (a group of one is left alone); in one that is not, every file.
func mergeGroups(files []liveFile, clustered bool, target int) [][]liveFile {
	if !clustered {
		if len(files) == 0 {
			return nil
		}
		return [][]liveFile{files}
	}
	var (
		groups [][]liveFile
		cur    []liveFile
		rows   int64
	)
	flush := func() {
		if len(cur) > 1 {
			groups = append(groups, cur)
		}
		cur, rows = nil, 0
	}
	for _, f := range files {
		if f.rows*smallFileShare >= int64(target) {
			flush()
			continue
		}
		if rows+f.rows > int64(target) {
			flush()
		}
		cur = append(cur, f)
		rows += f.rows
	}
	flush()
	return groups
}

// Optimize compacts runs of adjacent small data files of yellow's head into
// files of the target size (rows unchanged; remove and add with dataChange
// false, operation "OPTIMIZE", no cdc), or rewrites a table not laid out by
// product into that layout. Older versions stay readable until vacuum.
// Class Conflict if a commit lands meanwhile: the caller may try again.
func (s *Store) Optimize(ctx context.Context) (OptimizeResult, error) {
	res, err := s.optimize(ctx)
	if err != nil {
		return res, boundary(err, "optimize yellow")
	}
	if res.Version != releaselake.NoVersion {
		s.asOf.sawHead(res.Version)
	}
	return res, nil
}

func (s *Store) optimize(ctx context.Context) (OptimizeResult, error) {
	l, comp, err := s.layout(ctx)
	res := OptimizeResult{Version: releaselake.NoVersion, FilesBefore: l.Files, FilesAfter: l.Files}
	if err != nil || comp == nil || len(comp.groups) == 0 {
		return res, err
	}
	now := s.now()
	c := &pending{base: l.Version, prev: comp.state, now: now, at: now, txn: uuid.NewString(),
		info:   releaselake.CommitInfo{Operation: "OPTIMIZE", RunID: "optimize-" + now.UTC().Format("20060102T150405Z")},
		params: map[string]string{"predicate": "[]", "zOrderBy": "[]", "auto": "false"},
	}
	if err := s.compact(ctx, c, comp.groups); err != nil {
		s.removeOrphans(ctx, c.files())
		return res, s.lostRace(ctx, c.base, err)
	}
	v, err := s.publish(ctx, c)
	if err != nil {
		return res, err
	}
	res.Version, res.FilesRemoved, res.FilesAdded = v, len(c.removes), len(c.adds)
	res.FilesAfter = l.Files - len(c.removes) + len(c.adds)
	for _, a := range c.adds {
		res.BytesWritten += a.Size
	}
	for _, g := range comp.groups {
		for _, f := range g {
			res.RowsRewritten += max(f.rows, 0)
		}
	}
	return res, nil
}

// compact writes each group's rows again as files of the target size and
// records the files replaced and added in c.
func (s *Store) compact(ctx context.Context, c *pending, groups [][]liveFile) error {
	k := 0
	for _, g := range groups {
		rels, err := s.readFiles(ctx, fileNames(g))
		if err != nil {
			return err
		}
		rows, err := validRows(rels)
		if err != nil {
			return fmt.Errorf("v%d: %w", c.base, err)
		}
		for _, r := range split(rows, s.fileRows) {
			a, err := s.writeDataFile(ctx, rows.slice(r[0], r[1]), c.base+1, c.txn, k, c.now)
			if err != nil {
				return err
			}
			c.adds = append(c.adds, a)
			k++
		}
		for _, f := range g {
			c.removes = append(c.removes, f.add)
		}
	}
	return nil
}
