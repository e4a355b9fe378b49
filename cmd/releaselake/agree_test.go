package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// catalogOf writes a catalog of the products keys, their entries copied from
// catalog.yaml (the agree and crash tests).
func catalogOf(t *testing.T, keys ...string) string {
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
	first := catalogOf(t, "flask", "kafka", "fastapi", "seaborn", "mobx")
	grown := catalogOf(t, "flask", "kafka", "fastapi", "seaborn", "mobx", "mybatis")
	shrunk := catalogOf(t, "flask", "fastapi", "seaborn", "mobx", "mybatis")
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
