package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
)

// fakeCompactor is a compactor whose answers the test sets.
type fakeCompactor struct {
	layout    func() (lake.Layout, error)
	optimize  func() (lake.OptimizeResult, error)
	optimized int // calls of Optimize
}

func (f *fakeCompactor) Layout(context.Context) (lake.Layout, error) { return f.layout() }

func (f *fakeCompactor) Optimize(context.Context) (lake.OptimizeResult, error) {
	f.optimized++
	return f.optimize()
}

// The ingest's compact step optimizes only a layout past the threshold; a
// commit that won the race is logged at info and is no error; any other
// failure is the step's error, saying what failed.
func TestCompactStep_optimizesPastTheThresholdAndTakesAConflictCalmly(t *testing.T) {
	// Far past any threshold, and nowhere near one.
	many := lake.Layout{Version: 7, Files: 100_000, SmallFiles: 100_000, Rows: 1_000_000, Bytes: 1 << 30, Clustered: true}
	few := lake.Layout{Version: 7, Files: 1, SmallFiles: 0, Rows: 10, Bytes: 1 << 10, Clustered: true}
	// A table not laid out by product (written before that layout, or by
	// another engine) is compacted whatever its files.
	unclustered := lake.Layout{Version: 7, Files: 1, Rows: 10, Bytes: 1 << 10, Clustered: false}
	if !many.NeedsOptimize() || few.NeedsOptimize() || !unclustered.NeedsOptimize() {
		t.Fatalf("NeedsOptimize: %v for %+v, %v for %+v, %v for %+v", many.NeedsOptimize(), many, few.NeedsOptimize(), few,
			unclustered.NeedsOptimize(), unclustered)
	}
	done := lake.OptimizeResult{Version: 8, FilesBefore: 100_000, FilesAfter: 9, FilesRemoved: 99_999, FilesAdded: 8, RowsRewritten: 999_000, BytesWritten: 1 << 29}
	for _, tc := range []struct {
		name      string
		layout    lake.Layout
		layoutErr error
		optErr    error
		optimized int
		err       string // the step's error, "" for none
		log       string // a line the log must have, "" for none
	}{
		{name: "few files", layout: few},
		{name: "many files", layout: many, optimized: 1, log: `level=INFO msg="compacted yellow" version=8 files_before=100000 files_after=9`},
		{name: "not laid out by product", layout: unclustered, optimized: 1, log: `level=INFO msg="compacted yellow" version=8`},
		{name: "a commit won the race", layout: many, optErr: releaselake.Errorf(releaselake.Conflict, "yellow v8 was committed meanwhile"), optimized: 1,
			log: `level=INFO msg="compaction skipped: a commit landed meanwhile; the next run that commits looks again" version=7`},
		{name: "optimize failed", layout: many, optErr: errors.New("disk full"), optimized: 1, err: "optimize yellow v7: disk full"},
		{name: "layout unreadable", layoutErr: errors.New("connection refused"), err: "read yellow's layout: connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeCompactor{
				layout: func() (lake.Layout, error) { return tc.layout, tc.layoutErr },
				optimize: func() (lake.OptimizeResult, error) {
					if tc.optErr != nil {
						return lake.OptimizeResult{Version: releaselake.NoVersion}, tc.optErr
					}
					return done, nil
				}}
			var logs bytes.Buffer
			err := compactStep(f, slog.New(slog.NewTextHandler(&logs, nil)))(context.Background())
			if got := errString(err); got != tc.err || f.optimized != tc.optimized {
				t.Errorf("error %q, Optimize called %d times; want %q, %d", got, f.optimized, tc.err, tc.optimized)
			}
			if tc.log != "" && !strings.Contains(logs.String(), tc.log) {
				t.Errorf("log:\n%s\nwant a line with %s", logs.String(), tc.log)
			}
			if strings.Contains(logs.String(), "level=ERROR") || strings.Contains(logs.String(), "level=WARN") {
				t.Errorf("the step logged a warning or an error itself (the runner logs its error):\n%s", logs.String())
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
