package main

// How the agree tests (agree_test.go) read a version with each reader and
// compare them, and what they check of an optimize's commit.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
)

// columnRows turns the rows a Python reader printed (Delta's column names,
// times as microseconds) into agreeRows, sorted by (product, tag). A null
// shows as "<null>", so that it differs from an empty string.
func columnRows(t *testing.T, what string, rows []map[string]any) []agreeRow {
	t.Helper()
	str := func(m map[string]any, col string) string {
		switch v := m[col].(type) {
		case string:
			return v
		case nil:
			return "<null>"
		default:
			t.Fatalf("%s: column %s is %T %v, want a string", what, col, v, v)
			return ""
		}
	}
	micros := func(m map[string]any, col string) int64 {
		n, ok := m[col].(json.Number)
		if !ok {
			t.Fatalf("%s: column %s is %T %v, want microseconds", what, col, m[col], m[col])
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			t.Fatalf("%s: column %s: %v", what, col, err)
		}
		return i
	}
	boolean := func(m map[string]any, col string) bool {
		b, ok := m[col].(bool)
		if !ok {
			t.Fatalf("%s: column %s is %T %v, want a boolean", what, col, m[col], m[col])
		}
		return b
	}
	out := make([]agreeRow, 0, len(rows))
	for _, m := range rows {
		if len(m) != releaselake.NumColumns {
			t.Fatalf("%s: a row of %d columns, want %d: %v", what, len(m), releaselake.NumColumns, m)
		}
		out = append(out, agreeRow{Product: str(m, "product"), Tag: str(m, "tag"), Version: str(m, "version"),
			Name: str(m, "name"), URL: str(m, "url"), Source: str(m, "source"), Repo: str(m, "repo"),
			DateSource: str(m, "date_source"), PublishedAt: micros(m, "published_at"), FirstSeenAt: micros(m, "first_seen_at"),
			Prerelease: boolean(m, "prerelease"), Yanked: boolean(m, "yanked"), Notes: str(m, "notes")})
	}
	return sortRows(out)
}

// graphQLAtEveryVersion serves the lake (serve, the real server) and reads
// every version through releases(asOf: <its commit time>), all pages.
func graphQLAtEveryVersion(t *testing.T, lakeLoc string, l agreeLake) [][]agreeRow {
	t.Helper()
	a := &app{t: t, lake: lakeLoc, env: map[string]string{"RELEASELAKE_LAKE": lakeLoc, "RELEASELAKE_CATALOG": l.catalog}}
	base := a.serve()
	const q = `query ($after: String, $t: DateTime) {
	  releases(first: 100, after: $after, asOf: $t) {
	    pageInfo { hasNextPage endCursor }
	    nodes { product { key } tag version name url source repo dateSource publishedAt firstSeenAt prerelease yanked notes }
	  }
	}`
	var out [][]agreeRow
	for v, at := range l.at {
		vars := map[string]any{"t": at.Format(time.RFC3339Nano)}
		var rows []agreeRow
		for page := 0; ; page++ {
			var r struct {
				Releases struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
					Nodes []struct {
						Product                                           struct{ Key string }
						Tag, Version, Name, URL, Source, Repo, DateSource string
						PublishedAt, FirstSeenAt                          time.Time
						Prerelease, Yanked                                bool
						Notes                                             *string
					}
				}
			}
			query(t, base, q, vars, &r)
			for _, n := range r.Releases.Nodes {
				notes := "<null>"
				if n.Notes != nil {
					notes = *n.Notes
				}
				rows = append(rows, agreeRow{Product: n.Product.Key, Tag: n.Tag, Version: n.Version, Name: n.Name, URL: n.URL,
					Source: n.Source, Repo: n.Repo, DateSource: n.DateSource, PublishedAt: n.PublishedAt.UnixMicro(),
					FirstSeenAt: n.FirstSeenAt.UnixMicro(), Prerelease: n.Prerelease, Yanked: n.Yanked, Notes: notes})
			}
			if !r.Releases.PageInfo.HasNextPage {
				break
			}
			if page > 1000 {
				t.Fatalf("v%d: more than 1000 pages", v)
			}
			vars["after"] = r.Releases.PageInfo.EndCursor
		}
		out = append(out, sortRows(rows))
	}
	return out
}

// assertSameRows compares the rows reader read of every version with
// GraphQL's, row by row and column by column, and both with the lake's own.
func assertSameRows(t *testing.T, reader string, l agreeLake, graphQL, got [][]agreeRow) {
	t.Helper()
	if len(got) != len(l.rows) || len(graphQL) != len(l.rows) {
		t.Fatalf("%s read %d versions, GraphQL %d, the lake has %d", reader, len(got), len(graphQL), len(l.rows))
	}
	for v := range l.rows {
		diffRows(t, fmt.Sprintf("v%d: %s vs GraphQL", v, reader), got[v], graphQL[v])
		diffRows(t, fmt.Sprintf("v%d: GraphQL vs the lake's reader", v), graphQL[v], l.rows[v])
	}
}

// diffRows reports how a differs from b, at most five rows of it.
func diffRows(t *testing.T, what string, a, b []agreeRow) {
	t.Helper()
	if slices.Equal(a, b) {
		return
	}
	index := func(rs []agreeRow) map[string]agreeRow {
		m := make(map[string]agreeRow, len(rs))
		for _, r := range rs {
			m[r.key()] = r
		}
		return m
	}
	ia, ib := index(a), index(b)
	var diffs []string
	for _, r := range a {
		if o, ok := ib[r.key()]; !ok {
			diffs = append(diffs, fmt.Sprintf("only in the first: %+v", r))
		} else if o != r {
			diffs = append(diffs, fmt.Sprintf("%s:\n   %+v\n   %+v", r.key(), r, o))
		}
	}
	for _, r := range b {
		if _, ok := ia[r.key()]; !ok {
			diffs = append(diffs, fmt.Sprintf("only in the second: %+v", r))
		}
	}
	if len(diffs) == 0 { // same rows, another order or a duplicate
		diffs = append(diffs, "the same keys, not the same list (a duplicate?)")
	}
	t.Errorf("%s: %d rows and %d, %d differences:\n  %s", what, len(a), len(b), len(diffs), strings.Join(diffs[:min(5, len(diffs))], "\n  "))
}

// assertOptimizeEntry reads the optimize version's log entry itself: operation
// OPTIMIZE, files removed and added with dataChange false, holding the same
// number of rows (by the stats of their adds), fewer files added than removed
// when merge (not when it lays a table out anew), and no change data.
func assertOptimizeEntry(t *testing.T, lakeLoc string, v int64, merge bool) {
	t.Helper()
	fsys := mustFS(t, lakeLoc)
	// The rows of every file added up to v, by path, from its add's stats.
	rowsOf := map[string]int64{}
	var adds, removes []string
	op := ""
	for e := int64(0); e <= v; e++ {
		dec := json.NewDecoder(bytes.NewReader(readLakeFile(t, fsys, fmt.Sprintf("yellow/_delta_log/%020d.json", e))))
		for dec.More() {
			var action map[string]json.RawMessage
			if err := dec.Decode(&action); err != nil {
				t.Fatalf("v%d's log entry: %v", e, err)
			}
			for kind, raw := range action {
				var a struct {
					Operation  string
					DataChange *bool
					Path       string
					Stats      string
				}
				if err := json.Unmarshal(raw, &a); err != nil {
					t.Fatalf("v%d: %s: %v", e, kind, err)
				}
				if kind == "add" {
					var st struct{ NumRecords int64 }
					json.Unmarshal([]byte(a.Stats), &st)
					rowsOf[a.Path] = st.NumRecords
				}
				if e != v {
					continue
				}
				switch kind {
				case "commitInfo":
					op = a.Operation
				case "add", "remove":
					if a.DataChange == nil || *a.DataChange {
						dc := "absent"
						if a.DataChange != nil {
							dc = "true"
						}
						t.Errorf("v%d: %s %s has dataChange %s, want false", v, kind, a.Path, dc)
					}
					if kind == "add" {
						adds = append(adds, a.Path)
					} else {
						removes = append(removes, a.Path)
					}
				case "cdc":
					t.Errorf("v%d: a cdc action %s: an optimize changes no row", v, raw)
				}
			}
		}
	}
	var added, removed int64
	for _, p := range adds {
		added += rowsOf[p]
	}
	for _, p := range removes {
		removed += rowsOf[p]
	}
	if op != "OPTIMIZE" || len(adds) == 0 || len(removes) == 0 || merge && len(removes) <= len(adds) || added != removed {
		t.Errorf("v%d's log entry: operation %q, %d files (%d rows) added for %d (%d rows) removed; want OPTIMIZE, the same rows (in fewer files: %v)",
			v, op, len(adds), added, len(removes), removed, merge)
	}
	t.Logf("v%d: OPTIMIZE replaced %d files by %d (%d rows)", v, len(removes), len(adds), added)
}

// changesAt returns how many changes the lake's own change feed (what
// GraphQL's changes and the subscriptions read) has at version v.
func changesAt(t *testing.T, lakeLoc string, v int64) int {
	t.Helper()
	s := lake.Open(mustFS(t, lakeLoc))
	defer s.Close()
	sets, err := s.Changes(context.Background(), v, v, 1000)
	if err != nil {
		t.Fatalf("the lake's change feed of v%d: %v", v, err)
	}
	n := 0
	for _, set := range sets {
		n += len(set.Changes)
	}
	return n
}

// pythonJSON runs a Python reader and decodes what it prints, numbers as json.Number.
func pythonJSON(t *testing.T, env []string, into any, py string, args ...string) {
	t.Helper()
	cmd := exec.Command(py, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(args[0]), err, tail(stderr.String(), 60))
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("%s output: %v\n%s", filepath.Base(args[0]), err, tail(string(out), 20))
	}
}
