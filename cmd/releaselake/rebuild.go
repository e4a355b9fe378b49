package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest"
)

// runRebuild recomputes yellow from red and commits the result if it differs
// from the newest version (with -check, only says whether it differs: exit 1).
func runRebuild(ctx context.Context, m *Main, stdout io.Writer) int {
	// Runner.Sources holds every kind, those left off too: parsing needs no token.
	rows, err := ingest.Rebuild(ctx, m.Lake, m.Catalog, m.Runner.Sources)
	if err != nil {
		fmt.Fprintf(stdout, "rebuild: %v\n", err)
		return 1
	}
	snap, err := m.Lake.Snapshot(ctx)
	if err != nil {
		fmt.Fprintf(stdout, "rebuild: read yellow: %v\n", err)
		return 1
	}
	d := ingest.Compare(snap.Releases, rows)
	fmt.Fprintf(stdout, "rebuilt %d rows from red; yellow v%d has %d: %d added, %d changed, %d removed\n",
		len(rows), snap.Version, len(snap.Releases), d.Added, d.Changed, d.Removed)
	if d == (ingest.Diff{}) {
		fmt.Fprintln(stdout, "yellow equals the rebuild: nothing to commit")
		return 0
	}
	if m.Config.Check {
		return 1
	}
	v, err := m.Lake.Commit(ctx, snap.Version, rows, releaselake.CommitInfo{RunID: ingest.NewRunID(time.Now()), Operation: "REBUILD", At: time.Now()})
	if err != nil {
		fmt.Fprintf(stdout, "rebuild: commit: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "committed the rebuild as v%d\n", v)
	return 0
}
