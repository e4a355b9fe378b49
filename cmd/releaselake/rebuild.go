package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest"
)

// The GOGC of a rebuild, unless the environment sets one: while it parses
// (much garbage, little of it pointers), and once it holds every row unpacked
// and commits them (10M rows, 2.7 GiB live: 10 rather than 25 took the peak
// from 3.47 to 3.21 GiB, for 0.8 s more CPU).
const (
	rebuildGOGC       = 25
	rebuildCommitGOGC = 10
)

// runRebuild recomputes yellow, then yellow_advisories, from red and commits
// each that differs from its newest version (with -check, only says whether
// either differs: exit 1).
func runRebuild(ctx context.Context, m *Main, stdout io.Writer) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stdout, "rebuild: "+format+"\n", args...)
		return 1
	}
	// A rebuild holds every row at once (10M rows: about 2.7 GiB live once
	// unpacked), and with the default GOGC of 100 the heap grows to up to
	// twice what is live before each collection. A lower GOGC keeps the peak
	// near the live heap, for a few seconds more of the collector's CPU at 10M
	// rows. GOGC in the environment wins.
	gcPercent := func(int) {}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(rebuildGOGC))
		gcPercent = func(p int) { debug.SetGCPercent(p) }
	}
	// Runner.Sources holds every kind, those left off too: parsing needs no token.
	rebuilt, err := ingest.Rebuild(ctx, m.Lake, m.Catalog, m.Runner.Sources)
	if err != nil {
		return fail("%v", err)
	}
	// Parsing left much of the heap free (red's lines, the parsers'
	// garbage): give it back before yellow's rows are read beside the
	// rebuilt ones.
	debug.FreeOSMemory()
	snap, err := m.Lake.Snapshot(ctx)
	if err != nil {
		return fail("read yellow: %v", err)
	}
	d := rebuilt.Compare(snap.Releases)
	fmt.Fprintf(stdout, "rebuilt %d rows from red; yellow v%d has %d: %d added, %d changed, %d removed\n",
		rebuilt.Len(), snap.Version, len(snap.Releases), d.Added, d.Changed, d.Removed)
	differs, yellow := d != (ingest.Diff{}), snap.Version
	switch {
	case !differs:
		fmt.Fprintln(stdout, "yellow equals the rebuild: nothing to commit")
	case !m.Config.Check:
		// Yellow's rows go before the rebuilt ones are unpacked, so that the
		// two are never held at once (10M rows: 2.7 GiB each); the commit
		// reads what it needs of base itself, the files whose products
		// changed. They are collected and handed back to the system at once:
		// the unpacked rows (2 GiB in one piece at 10M) are allocated anew,
		// and would otherwise be counted beside them.
		snap.Releases = nil
		debug.FreeOSMemory()
		gcPercent(rebuildCommitGOGC)
		rows := rebuilt.Rows()
		info := releaselake.CommitInfo{RunID: ingest.NewRunID(time.Now()), Operation: "REBUILD", At: time.Now()}
		if yellow, err = m.Lake.Commit(ctx, snap.Version, rows, info); err != nil {
			return fail("commit: %v", err)
		}
		fmt.Fprintf(stdout, "committed the rebuild as v%d\n", yellow)
	}
	advDiffers, err := rebuildAdvisories(ctx, m, stdout, yellow)
	if err != nil {
		return fail("%v", err)
	}
	if m.Config.Check && (differs || advDiffers) {
		return 1
	}
	return 0
}

// rebuildAdvisories recomputes yellow_advisories from the runs' raw advisory
// answers in red and, without -check, commits them with yellow version yellow
// if they differ from the table's head. It reports whether they differ.
func rebuildAdvisories(ctx context.Context, m *Main, stdout io.Writer, yellow int64) (bool, error) {
	src, ok := m.Runner.Sources[releaselake.KindGitHub].(releaselake.AdvisorySource)
	if !ok {
		return false, nil // no source of advisories: nothing in red to rebuild from
	}
	rows, err := ingest.RebuildAdvisories(ctx, m.Lake, m.Catalog, src)
	if err != nil {
		return false, err
	}
	head, err := m.Lake.AdvisoriesHead(ctx)
	if err != nil {
		return false, fmt.Errorf("read yellow_advisories: %w", err)
	}
	cur := releaselake.AdvisorySnapshot{Version: releaselake.NoVersion}
	if head != releaselake.NoVersion {
		if cur, err = m.Lake.AdvisoriesFor(ctx, yellow); err != nil {
			return false, fmt.Errorf("read yellow_advisories: %w", err)
		}
	}
	if ingest.SameAdvisories(rows, cur.Advisories) {
		fmt.Fprintf(stdout, "yellow_advisories equals the rebuild (%d rows): nothing to commit\n", len(rows))
		return false, nil
	}
	fmt.Fprintf(stdout, "rebuilt %d advisory rows from red; yellow_advisories v%d has %d\n", len(rows), cur.Version, len(cur.Advisories))
	if m.Config.Check {
		return true, nil
	}
	v, err := m.Lake.CommitAdvisories(ctx, head, rows, yellow, releaselake.CommitInfo{RunID: ingest.NewRunID(time.Now()), Operation: "REBUILD", At: time.Now()})
	if err != nil {
		return true, fmt.Errorf("commit yellow_advisories: %w", err)
	}
	fmt.Fprintf(stdout, "committed the advisories rebuild as yellow_advisories v%d\n", v)
	return true, nil
}
