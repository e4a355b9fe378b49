package main

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// delta-rs and GraphQL agree at every version of a lake built by ingests, a
// rebuild, `releaselake optimize` and more ingests (agreeIngests): the rows of
// DeltaTable(version=v) are those of releases(asOf: <v's commit time>), column
// by column. The optimize's log entry changes no data (dataChange false, no
// cdc), and delta-rs's load_cdf over it reads no row. Runs in make test (CI
// has delta-rs; skipped without it elsewhere).
func TestAgree_deltaRSAndGraphQLAtEveryVersionAfterOptimize(t *testing.T) {
	py := deltaPython(t)
	dir := filepath.Join(t.TempDir(), "lake")
	l := agreeIngests(t, dir)

	history := assertDeltaRSAgrees(t, py, dir, l)
	if n := len(slices.DeleteFunc(slices.Clone(history), func(op string) bool { return op != "OPTIMIZE" })); n != 1 {
		t.Errorf("delta-rs history %q: want one OPTIMIZE", history)
	}
	assertOptimizeEntry(t, dir, l.optimize, true)
	// The change feed, the lake's and delta-rs's: nothing over the optimize,
	// something over the ingest after it (so an empty answer is not the
	// reader failing).
	assertChanges(t, py, dir, map[int64]bool{l.optimize: false, l.optimize + 1: true})
}

// A table another engine compacted (delta-rs's optimize.compact: one file,
// no fingerprint, so not laid out by product) reads the same everywhere;
// `releaselake optimize` then rewrites it into the lake's layout, again
// changing no row, and every reader still agrees at every version.
func TestAgree_anotherEnginesOptimizeThenOurs(t *testing.T) {
	py := deltaPython(t)
	dir := filepath.Join(t.TempDir(), "lake")
	l := agreeIngests(t, dir)
	var compacted struct{ Version int64 }
	pythonJSON(t, nil, &compacted, py, filepath.Join("testdata", "compact_delta.py"), filepath.Join(dir, "yellow"))
	if compacted.Version != l.head+1 {
		t.Fatalf("delta-rs compacted the table as v%d, want v%d", compacted.Version, l.head+1)
	}
	a := &app{t: t, lake: dir, env: map[string]string{"RELEASELAKE_LAKE": dir, "RELEASELAKE_LOG": "text"}}
	code, out := a.run("optimize", "-dry-run")
	if code != 0 || !strings.Contains(out, "not laid out by product") {
		t.Fatalf("optimize -dry-run after delta-rs's: exit %d, want it to say the table is not laid out by product:\n%s", code, out)
	}
	ours := l.head + 2
	code, out = a.run("optimize")
	if code != 0 || !strings.Contains(out, "committed yellow v"+strconv.FormatInt(ours, 10)) {
		t.Fatalf("optimize after delta-rs's: exit %d, want v%d:\n%s", code, ours, out)
	}
	if code, out := a.run("optimize", "-dry-run"); code != 0 || !strings.Contains(out, "dry run: nothing to compact") {
		t.Errorf("optimize -dry-run after ours: exit %d, want nothing to compact:\n%s", code, out)
	}
	last := l.head
	l.head = ours
	l.readVersions(t, dir)
	for v := last + 1; v <= ours; v++ {
		if !slices.Equal(l.rows[v], l.rows[last]) {
			t.Errorf("v%d (an optimize) has %d rows, v%d %d; want the same", v, len(l.rows[v]), last, len(l.rows[last]))
		}
	}
	history := assertDeltaRSAgrees(t, py, dir, l)
	if len(history) < 2 || history[0] != "OPTIMIZE" || history[1] != "OPTIMIZE" {
		t.Errorf("delta-rs history %q: want the two optimizes newest", history)
	}
	assertOptimizeEntry(t, dir, ours, false)
	assertChanges(t, py, dir, map[int64]bool{ours - 1: false, ours: false, last: true})
}

// assertChanges checks, for each version, whether the lake's own change feed
// and delta-rs's load_cdf have rows at it: some (true) or none (false).
func assertChanges(t *testing.T, py, dir string, some map[int64]bool) {
	t.Helper()
	for v, want := range some {
		var cdf struct{ Rows []map[string]any }
		s := strconv.FormatInt(v, 10)
		pythonJSON(t, nil, &cdf, py, filepath.Join("..", "..", "lake", "testdata", "read_cdf.py"), filepath.Join(dir, "yellow"), s, s)
		if got := len(cdf.Rows) > 0; got != want {
			t.Errorf("delta-rs load_cdf of v%d: %d rows; want some: %v\n%v", v, len(cdf.Rows), want, cdf.Rows)
		}
		if n := changesAt(t, dir, v); (n > 0) != want {
			t.Errorf("the lake's change feed of v%d: %d changes; want some: %v", v, n, want)
		}
	}
}

// assertDeltaRSAgrees reads every version of the lake's yellow with delta-rs
// (lake/testdata/read_delta.py) and GraphQL, and compares them with each other
// and with the lake's own reader; it returns delta-rs's history, newest first.
func assertDeltaRSAgrees(t *testing.T, py, dir string, l agreeLake) []string {
	t.Helper()
	args := []string{filepath.Join("..", "..", "lake", "testdata", "read_delta.py"), filepath.Join(dir, "yellow")}
	for v := range l.rows {
		args = append(args, strconv.Itoa(v))
	}
	var dr struct {
		Version int64
		History []string
		At      map[string][]map[string]any
	}
	pythonJSON(t, nil, &dr, py, args...)
	if dr.Version != l.head || len(dr.History) != int(l.head)+1 {
		t.Errorf("delta-rs reads v%d as the newest and %d versions of history, want v%d", dr.Version, len(dr.History), l.head)
	}
	var got [][]agreeRow
	for v := range l.rows {
		got = append(got, columnRows(t, "delta-rs v"+strconv.Itoa(v), dr.At[strconv.Itoa(v)]))
	}
	graphQL := graphQLAtEveryVersion(t, dir, l)
	assertSameRows(t, "delta-rs", l, graphQL, got)
	n := 0
	for _, rows := range l.rows {
		n += len(rows)
	}
	t.Logf("delta-rs, GraphQL and the lake's reader agree on %d versions (%d rows in all)", len(l.rows), n)
	return dr.History
}
