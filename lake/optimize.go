package lake

// STUB (branch agree only): the declarations of the lead's Optimize/Layout API
// (brief8), so the CLI and the tests compile until the real file lands on main.
// The lead's lake/optimize.go replaces this file at the merge.

import (
	"context"
	"errors"
)

// Optimize compacts runs of adjacent small data files of yellow's head into files of the target
// size (rows unchanged; remove/add with dataChange false, operation "OPTIMIZE", no cdc). Older
// versions stay readable until vacuum. Class Conflict if a commit lands meanwhile.
func (s *Store) Optimize(ctx context.Context) (OptimizeResult, error) {
	return OptimizeResult{}, errors.New("optimize: not implemented (stub)")
}

// OptimizeResult is what Optimize did.
type OptimizeResult struct {
	Version       int64 // the version it committed; releaselake.NoVersion if nothing needed compacting
	FilesBefore   int   // live data files before
	FilesAfter    int
	FilesRemoved  int
	FilesAdded    int
	RowsRewritten int64
	BytesWritten  int64
}

// Layout describes yellow's head: its data files and how many are small.
func (s *Store) Layout(ctx context.Context) (Layout, error) {
	return Layout{}, errors.New("layout: not implemented (stub)")
}

// Layout is yellow's head's data files.
type Layout struct {
	Version    int64
	Files      int
	SmallFiles int // files under a quarter of the target rows that have a small neighbour
	Rows       int64
	Bytes      int64
}

// NeedsOptimize reports whether the file count passed the threshold at which the schedule compacts.
func (l Layout) NeedsOptimize() bool { return false }
