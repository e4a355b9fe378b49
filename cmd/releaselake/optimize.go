package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
)

// runOptimize compacts yellow's small data files (lake.Store.Optimize) and
// says what it did in a line: the data files before and after, the rows and
// bytes it rewrote and the version it committed, or that there was nothing
// to compact. With -dry-run it says how yellow's head is laid out and whether
// it would compact, and commits nothing. Exit 1 when it could not finish
// (a commit landing meanwhile is one: run it again).
func runOptimize(ctx context.Context, m *Main, stdout io.Writer) int {
	if m.Config.DryRun {
		l, err := m.Lake.Layout(ctx)
		if err != nil {
			fmt.Fprintf(stdout, "optimize failed: read yellow's layout: %v\n", err)
			return 1
		}
		if l.Version == releaselake.NoVersion {
			fmt.Fprintln(stdout, "yellow has no versions: nothing to compact")
			return 0
		}
		fmt.Fprintf(stdout, "yellow v%d: %d data files (%d small), %d rows, %s\n", l.Version, l.Files, l.SmallFiles, l.Rows, humanBytes(l.Bytes))
		switch {
		case !l.Clustered && l.Files > 0:
			fmt.Fprintf(stdout, "dry run: would rewrite all %d data files: the table is not laid out by product (written before that layout, or by another engine); the schedule would too\n", l.Files)
		case l.SmallFiles == 0:
			fmt.Fprintln(stdout, "dry run: nothing to compact")
		case l.NeedsOptimize():
			fmt.Fprintf(stdout, "dry run: would compact the %d small files; the schedule would too (past its threshold)\n", l.SmallFiles)
		default:
			fmt.Fprintf(stdout, "dry run: would compact the %d small files; the schedule waits (not past its threshold)\n", l.SmallFiles)
		}
		return 0
	}
	res, err := m.Lake.Optimize(ctx)
	if err != nil {
		hint := ""
		if releaselake.ClassOf(err) == releaselake.Conflict {
			hint = " (a commit landed meanwhile; run it again)"
		}
		fmt.Fprintf(stdout, "optimize failed: %v%s\n", err, hint)
		return 1
	}
	if res.Version == releaselake.NoVersion {
		fmt.Fprintf(stdout, "optimize: nothing to compact (%d data files); committed nothing\n", res.FilesBefore)
		return 0
	}
	fmt.Fprintf(stdout, "optimize: %d -> %d data files (%d removed, %d added), %d rows rewritten, %s written; committed yellow v%d\n",
		res.FilesBefore, res.FilesAfter, res.FilesRemoved, res.FilesAdded, res.RowsRewritten, humanBytes(res.BytesWritten), res.Version)
	return 0
}

// compactor is what the compact step uses of the lake: lake.Store.
type compactor interface {
	Layout(ctx context.Context) (lake.Layout, error)
	Optimize(ctx context.Context) (lake.OptimizeResult, error)
}

// compactStep is the ingest runner's last step (ingest.Runner.Compact): it
// compacts yellow once its layout says the data files passed the threshold
// (lake.Layout.NeedsOptimize). A commit landing meanwhile (another process's
// ingest won the race) is no error: the next run that commits looks again.
func compactStep(lk compactor, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		l, err := lk.Layout(ctx)
		if err != nil {
			return fmt.Errorf("read yellow's layout: %w", err)
		}
		if !l.NeedsOptimize() {
			log.Debug("no compaction needed", "version", l.Version, "files", l.Files, "small_files", l.SmallFiles)
			return nil
		}
		res, err := lk.Optimize(ctx)
		switch {
		case releaselake.ClassOf(err) == releaselake.Conflict:
			log.Info("compaction skipped: a commit landed meanwhile; the next run that commits looks again", "version", l.Version, "err", err)
			return nil
		case err != nil:
			return fmt.Errorf("optimize yellow v%d: %w", l.Version, err)
		}
		log.Info("compacted yellow", "version", res.Version, "files_before", res.FilesBefore, "files_after", res.FilesAfter,
			"rows_rewritten", res.RowsRewritten, "bytes_written", res.BytesWritten)
		return nil
	}
}
