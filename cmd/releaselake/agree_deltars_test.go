package main

import (
	"path/filepath"
	"slices"
	"strconv"
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
	if dr.Version != l.head {
		t.Errorf("delta-rs reads v%d as the newest, want v%d", dr.Version, l.head)
	}
	if n := len(slices.DeleteFunc(slices.Clone(dr.History), func(op string) bool { return op != "OPTIMIZE" })); n != 1 || len(dr.History) != int(l.head)+1 {
		t.Errorf("delta-rs history %q: want %d versions, one OPTIMIZE", dr.History, l.head+1)
	}
	var got [][]agreeRow
	for v := range l.rows {
		got = append(got, columnRows(t, "delta-rs v"+strconv.Itoa(v), dr.At[strconv.Itoa(v)]))
	}
	graphQL := graphQLAtEveryVersion(t, dir, l)
	assertSameRows(t, "delta-rs", l, graphQL, got)

	assertOptimizeEntry(t, dir, l.optimize)
	assertNoChangesAt(t, dir, l.optimize)
	// delta-rs's change feed: nothing over the optimize, something over the
	// ingest after it (so an empty answer is not the reader failing).
	for _, c := range []struct {
		v     int64
		empty bool
	}{{l.optimize, true}, {l.optimize + 1, false}} {
		var cdf struct{ Rows []map[string]any }
		v := strconv.FormatInt(c.v, 10)
		pythonJSON(t, nil, &cdf, py, filepath.Join("..", "..", "lake", "testdata", "read_cdf.py"), filepath.Join(dir, "yellow"), v, v)
		if (len(cdf.Rows) == 0) != c.empty {
			t.Errorf("delta-rs load_cdf of v%s: %d rows; want none: %v\n%v", v, len(cdf.Rows), c.empty, cdf.Rows)
		}
	}
	n := 0
	for _, rows := range l.rows {
		n += len(rows)
	}
	t.Logf("delta-rs, GraphQL and the lake's reader agree on %d versions (%d rows in all), the optimize's v%d included", len(l.rows), n, l.optimize)
}
