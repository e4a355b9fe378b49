package main

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

	"gopkg.in/yaml.v3"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
)

// The readers must agree on a lake built the way production builds it: ingests
// against the fake GitHub (new releases, a changed row, a deleted release, a new
// product), a rebuild that drops a product taken out of the catalog, then
// `releaselake optimize`, then more ingests. For every version v, GraphQL's
// releases(asOf: <v's commit time>), delta-rs's DeltaTable(version=v)
// (agree_deltars_test.go) and Spark's VERSION AS OF v (hdfs_spark_agree_test.go)
// give the same rows, on every column the API exposes.

// agreeRow is one yellow row as every reader is compared on it: every column
// the API exposes, times in microseconds since the epoch (the lake's precision).
type agreeRow struct {
	Product, Tag, Version, Name, URL, Source, Repo, DateSource string
	PublishedAt, FirstSeenAt                                   int64
	Prerelease, Yanked                                         bool
	Notes                                                      string
}

func (r agreeRow) key() string { return r.Product + "/" + r.Tag }

// agreeLake is the lake agreeIngests built.
type agreeLake struct {
	catalog  string // the catalog file serve reads: the last one the ingests used
	head     int64
	optimize int64 // the version `releaselake optimize` committed
	// at is each version's commit time, as the lake reads it (asOf's unit).
	at []time.Time
	// rows is each version's rows as the lake's own reader gives them.
	rows [][]agreeRow
}

// agreeCatalog writes a catalog of the products keys, copied from catalog.yaml.
func agreeCatalog(t *testing.T, keys ...string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "catalog.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var all struct{ Products []map[string]any }
	if err := yaml.Unmarshal(data, &all); err != nil {
		t.Fatal(err)
	}
	var keep []map[string]any
	for _, p := range all.Products {
		if slices.Contains(keys, p["key"].(string)) {
			keep = append(keep, p)
		}
	}
	if len(keep) != len(keys) {
		t.Fatalf("catalog.yaml has %d of %v", len(keep), keys)
	}
	out, _ := yaml.Marshal(map[string]any{"products": keep})
	name := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := os.WriteFile(name, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// agreeFileRows is the most rows a data file holds in the agree lake: with
// the fixtures' products (fastapi 305 rows, flask 62, kafka 72, mobx 290,
// mybatis 46, seaborn 38) the first ingest writes [fastapi] [flask kafka]
// [mobx] [seaborn]; the new product mybatis joins mobx's file, which splits
// into [mobx] [mybatis]; so mybatis and seaborn are neighbouring small files
// (under a quarter of 300 rows) for the optimize to merge, and taking kafka
// out leaves flask a small file with no small neighbour, which stays.
const agreeFileRows = 300

// agreeIngests builds the lake at lakeLoc (a directory or an hdfs:// URL)
// through the real commands, checking each step's outcome, and returns what the
// lake's own reader says of every version.
func agreeIngests(t *testing.T, lakeLoc string) agreeLake {
	t.Helper()
	lakeOptions = []lake.Option{lake.WithFileRows(agreeFileRows)}
	t.Cleanup(func() { lakeOptions = nil })
	gh := githubtest.NewServer(t)
	first := agreeCatalog(t, "flask", "kafka", "fastapi", "seaborn", "mobx")
	grown := agreeCatalog(t, "flask", "kafka", "fastapi", "seaborn", "mobx", "mybatis")
	shrunk := agreeCatalog(t, "flask", "fastapi", "seaborn", "mobx", "mybatis")
	a := &app{t: t, lake: lakeLoc, env: map[string]string{"RELEASELAKE_LAKE": lakeLoc, "RELEASELAKE_CATALOG": first,
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL, "RELEASELAKE_LOG": "text"}}
	at := time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC)
	ingest := func(v int64, what string) {
		t.Helper()
		code, out := a.run("ingest")
		if code != 0 || !strings.Contains(out, fmt.Sprintf("version %d,", v)) {
			t.Fatalf("ingest %s: exit %d, want version %d:\n%s", what, code, v, out)
		}
	}
	var l agreeLake

	ingest(0, "of the first catalog")
	gh.AddRelease("pallets/flask", githubtest.Release{TagName: "9.0.0", Name: "Flask 9 preview", Description: "New *things*.",
		PublishedAt: at, CreatedAt: at, IsPrerelease: true})
	gh.AddTag("apache/kafka", githubtest.Tag{Name: "9.9.0", Date: at})
	ingest(1, "with new releases")
	gh.EditRelease("pallets/flask", "9.0.0", func(r *githubtest.Release) {
		r.IsPrerelease, r.Name, r.UpdatedAt = false, "Flask 9", at.Add(time.Hour)
	})
	ingest(2, "with a release made GA and renamed")
	gh.DeleteRelease("pallets/flask", "2.0.0")
	ingest(3, "with a release deleted")
	a.env["RELEASELAKE_CATALOG"] = grown
	ingest(4, "with a new product")
	a.env["RELEASELAKE_CATALOG"] = shrunk
	if code, out := a.run("rebuild"); code != 0 || !strings.Contains(out, "committed the rebuild as v5") {
		t.Fatalf("rebuild without kafka: exit %d, want v5 committed:\n%s", code, out)
	}
	code, out := a.run("optimize", "-dry-run")
	t.Logf("optimize -dry-run: exit %d\n%s", code, out)
	if code != 0 || !strings.Contains(out, "yellow v5: ") || !strings.Contains(out, "would compact") {
		t.Fatalf("optimize -dry-run: exit %d, want v5's layout with small files to compact:\n%s", code, out)
	}
	code, out = a.run("optimize")
	t.Logf("optimize: exit %d\n%s", code, out)
	if code != 0 || !strings.Contains(out, "committed yellow v6") {
		t.Fatalf("optimize: exit %d, want v6 committed:\n%s", code, out)
	}
	// Compacted once, nothing is left to compact: a second optimize commits nothing.
	if code, out := a.run("optimize"); code != 0 || !strings.Contains(out, "optimize: nothing to compact") {
		t.Fatalf("optimize again: exit %d, want nothing to compact:\n%s", code, out)
	}
	l.optimize = 6
	gh.AddRelease("fastapi/fastapi", githubtest.Release{TagName: "9.1.0", PublishedAt: at.Add(2 * time.Hour), CreatedAt: at.Add(2 * time.Hour)})
	ingest(7, "after the optimize")
	gh.DeleteRelease("fastapi/fastapi", "9.1.0")
	gh.AddRelease("pallets/flask", githubtest.Release{TagName: "9.0.1", PublishedAt: at.Add(3 * time.Hour), CreatedAt: at.Add(3 * time.Hour)})
	ingest(8, "with a release deleted and one added")
	// Two more, so that v10 is a checkpoint holding the optimize's removes
	// (readers of v10 start from it).
	gh.AddRelease("mobxjs/mobx", githubtest.Release{TagName: "mobx@9.0.0", PublishedAt: at.Add(4 * time.Hour), CreatedAt: at.Add(4 * time.Hour)})
	ingest(9, "with a mobx release")
	gh.EditRelease("pallets/flask", "9.0.1", func(r *githubtest.Release) { r.Description = "Fixes." })
	ingest(10, "with release notes edited")
	l.catalog, l.head = shrunk, 10

	l.readVersions(t, lakeLoc)
	assertTheMix(t, l)
	return l
}

// readVersions reads every version up to l.head with the lake's own reader
// into l.at and l.rows.
func (l *agreeLake) readVersions(t *testing.T, lakeLoc string) {
	t.Helper()
	s := lake.Open(mustFS(t, lakeLoc))
	defer s.Close()
	ctx := context.Background()
	l.at, l.rows = nil, nil
	for v := int64(0); v <= l.head; v++ {
		snap, err := s.SnapshotAt(ctx, v)
		if err != nil {
			t.Fatalf("read v%d: %v", v, err)
		}
		// asOf picks a version by commit time, to the millisecond: each
		// version must be the one its own commit time names.
		if got, err := s.VersionAsOf(ctx, snap.CommittedAt); err != nil || got != v {
			t.Fatalf("VersionAsOf(commit time of v%d, %s) = v%d, %v: two commits share a millisecond", v, snap.CommittedAt.Format(time.RFC3339Nano), got, err)
		}
		l.at = append(l.at, snap.CommittedAt)
		l.rows = append(l.rows, lakeRows(snap.Releases))
	}
}

// assertTheMix checks that the versions hold what the steps did, so that
// readers agreeing cannot mean readers agreeing on nothing.
func assertTheMix(t *testing.T, l agreeLake) {
	t.Helper()
	has := func(v int64, key string) (agreeRow, bool) {
		i := slices.IndexFunc(l.rows[v], func(r agreeRow) bool { return r.key() == key })
		if i < 0 {
			return agreeRow{}, false
		}
		return l.rows[v][i], true
	}
	products := func(v int64) []string {
		var ps []string
		for _, r := range l.rows[v] {
			if len(ps) == 0 || ps[len(ps)-1] != r.Product {
				ps = append(ps, r.Product)
			}
		}
		return ps
	}
	for _, c := range []struct {
		what string
		ok   bool
	}{
		{"v0 has 5 products", len(products(0)) == 5},
		{"flask 9.0.0 is new in v1, a prerelease", func() bool {
			_, in0 := has(0, "flask/9.0.0")
			r, in1 := has(1, "flask/9.0.0")
			return !in0 && in1 && r.Prerelease
		}()},
		{"kafka 9.9.0 is new in v1", func() bool { _, ok := has(1, "kafka/9.9.0"); return ok }()},
		{"flask 9.0.0 is GA and renamed in v2", func() bool { r, ok := has(2, "flask/9.0.0"); return ok && !r.Prerelease && r.Name == "Flask 9" }()},
		{"flask 2.0.0 is gone in v3", func() bool { _, in2 := has(2, "flask/2.0.0"); _, in3 := has(3, "flask/2.0.0"); return in2 && !in3 }()},
		{"mybatis is new in v4", !slices.Contains(products(3), "mybatis") && slices.Contains(products(4), "mybatis")},
		{"kafka is gone in v5", slices.Contains(products(4), "kafka") && !slices.Contains(products(5), "kafka")},
		{"the optimize (v6) holds v5's rows", slices.Equal(l.rows[5], l.rows[6])},
		{"fastapi 9.1.0 is new in v7", func() bool { _, ok := has(7, "fastapi/9.1.0"); return ok }()},
		{"fastapi 9.1.0 is gone and flask 9.0.1 new in v8", func() bool {
			_, fastapi := has(8, "fastapi/9.1.0")
			_, flask := has(8, "flask/9.0.1")
			return !fastapi && flask
		}()},
		{"mobx@9.0.0 is new in v9", func() bool { _, ok := has(9, "mobx/mobx@9.0.0"); return ok }()},
		{"flask 9.0.1 has notes in v10, none in v9", func() bool {
			r9, _ := has(9, "flask/9.0.1")
			r10, _ := has(10, "flask/9.0.1")
			return r9.Notes == "" && r10.Notes == "Fixes."
		}()},
	} {
		if !c.ok {
			t.Errorf("the lake's own reader: not so that %s", c.what)
		}
	}
}

// lakeRows are a snapshot's rows as agreeRows, sorted by (product, tag).
func lakeRows(rs []releaselake.Release) []agreeRow {
	out := make([]agreeRow, 0, len(rs))
	for _, r := range rs {
		out = append(out, agreeRow{Product: r.Product, Tag: r.Tag, Version: r.Version, Name: r.Name, URL: r.URL,
			Source: r.Source, Repo: r.Repo, DateSource: r.DateSource, PublishedAt: r.PublishedAt.UnixMicro(),
			FirstSeenAt: r.FirstSeenAt.UnixMicro(), Prerelease: r.Prerelease, Yanked: r.Yanked, Notes: r.Notes})
	}
	return sortRows(out)
}

func sortRows(rs []agreeRow) []agreeRow {
	slices.SortFunc(rs, func(a, b agreeRow) int {
		if c := strings.Compare(a.Product, b.Product); c != 0 {
			return c
		}
		return strings.Compare(a.Tag, b.Tag)
	})
	return rs
}

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
