package graph

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	sourcekinds "github.com/releaselake/releaselake/ingest/sources"
	"github.com/releaselake/releaselake/internal/fixturerows"
	"github.com/releaselake/releaselake/serving"
)

// fixtureServer serves the fixtures' real tag histories (internal/fixturerows)
// under the default catalog, as of 2026-09-01.
func fixtureServer(t *testing.T) (*httptest.Server, *serving.Index) {
	t.Helper()
	rows, err := fixturerows.Rows()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Default(sourcekinds.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	ix := serving.NewIndex(releaselake.Snapshot{Version: 7, CommittedAt: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), Releases: rows})
	r := &Resolver{Catalog: cat, Index: func() *serving.Index { return ix },
		Runs:    func(context.Context, int) ([]releaselake.Run, error) { return nil, nil },
		Notices: func() []string { return nil }}
	srv := httptest.NewServer(NewHandler(r, Options{Log: quietLog()}))
	t.Cleanup(srv.Close)
	return srv, ix
}

type lineAnswer struct {
	Line           string
	Latest, First  struct{ Version, Tag string }
	Releases       int
	LastReleasedAt time.Time
	Active         bool
}

// Product.lines answers what the index works out, field by field, for the
// real histories of spring-boot (milestones, .RELEASE), kafka (four
// components), redash (calendar versions) and rails, at both depths.
func TestProductLines_fixturesThroughGraphQL(t *testing.T) {
	srv, ix := fixtureServer(t)
	const q = `query($p: String!, $d: ReleaseLineDepth!) { product(key: $p) { lines(depth: $d) {
		line latest { version tag } first { version tag } releases lastReleasedAt active } } }`
	for _, p := range []string{"springboot", "kafka", "redash", "rails"} {
		for depth, name := range map[int]string{releaselake.LineMajor: "MAJOR", releaselake.LineMinor: "MINOR"} {
			a := post(t, srv, q, map[string]any{"p": p, "d": name})
			var got struct{ Lines []lineAnswer }
			if err := json.Unmarshal(a.Data["product"], &got); err != nil || len(a.Errors) > 0 {
				t.Fatalf("%s %s: %v %v", p, name, err, a.Errors)
			}
			want := ix.Lines(p, depth, MaxFirst)
			if len(got.Lines) != len(want) || len(want) == 0 {
				t.Fatalf("%s %s: %d lines, want %d", p, name, len(got.Lines), len(want))
			}
			for k, w := range want {
				g := got.Lines[k]
				if g.Line != w.Line || g.Latest.Version != w.Latest.Version || g.Latest.Tag != w.Latest.Tag ||
					g.First.Version != w.First.Version || g.First.Tag != w.First.Tag || g.Releases != w.Releases ||
					!g.LastReleasedAt.Equal(w.LastReleasedAt) || g.Active != w.Active {
					t.Errorf("%s %s line %d: got %+v, want %+v", p, name, k, g, w)
				}
			}
		}
	}
}

// Release.semver answers Version.Semver for every release of the real
// histories of kafka, redash and spring-boot, null where it is null.
func TestReleaseSemver_fixturesThroughGraphQL(t *testing.T) {
	srv, _ := fixtureServer(t)
	const q = `query($after: String) { releases(products: ["kafka", "redash", "springboot"], orderBy: {field: VERSION}, after: $after) {
		nodes { version semver { major minor patch pre build } } pageInfo { hasNextPage endCursor } } }`
	var after any
	seen, nulls := 0, 0
	for {
		a := post(t, srv, q, map[string]any{"after": after})
		var page struct {
			Nodes []struct {
				Version string
				Semver  json.RawMessage
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
		}
		if err := json.Unmarshal(a.Data["releases"], &page); err != nil || len(a.Errors) > 0 {
			t.Fatalf("%v %v", err, a.Errors)
		}
		for _, n := range page.Nodes {
			want := "null"
			if s := releaselake.SemverOf(n.Version); s != nil {
				b, _ := json.Marshal(map[string]any{"major": s.Major, "minor": s.Minor, "patch": s.Patch, "pre": s.Pre, "build": s.Build})
				want = string(b)
			} else {
				nulls++
			}
			if g := canonical(t, n.Semver); g != canonical(t, []byte(want)) {
				t.Errorf("%s: semver %s, want %s", n.Version, g, want)
			}
			seen++
		}
		if !page.PageInfo.HasNextPage {
			break
		}
		after = page.PageInfo.EndCursor
	}
	if seen < 500 || nulls == 0 || nulls == seen {
		t.Errorf("%d releases, %d without semver: the fixtures lost their history", seen, nulls)
	}
}

// canonical re-encodes JSON with its keys sorted.
func canonical(t *testing.T, b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// The bounds of Product.lines, through the real server: first is a page
// size like releases', a depth variable in the wrong case is the client's
// error, and lines under every release of a page cost too much to run.
func TestProductLines_bounds(t *testing.T) {
	srv, _ := fixtureServer(t)
	for _, c := range []struct {
		q    string
		vars map[string]any
		code string
	}{
		{`{ product(key: "rails") { lines(first: 101) { line } } }`, nil, "BAD_USER_INPUT"},
		{`{ product(key: "rails") { lines(first: -1) { line } } }`, nil, "BAD_USER_INPUT"},
		{`query($d: ReleaseLineDepth!) { product(key: "rails") { lines(depth: $d) { line } } }`, map[string]any{"d": "minor"}, "BAD_USER_INPUT"},
		{`query($d: ReleaseLineDepth!) { product(key: "rails") { lines(depth: $d) { line } } }`, map[string]any{"d": "PATCH"}, "GRAPHQL_VALIDATION_FAILED"},
		{`{ releases(first: 100) { nodes { product { lines { line } } } } }`, nil, "COMPLEXITY_LIMIT_EXCEEDED"},
		{`{ products { lines { line latest { version } } } }`, nil, "COMPLEXITY_LIMIT_EXCEEDED"},
		{`{ products { lines(first: 5) { line latest { version } active } } }`, nil, ""},
	} {
		if a := post(t, srv, c.q, c.vars); code(a) != c.code {
			t.Errorf("%s %v: code %q, want %q: %+v", c.q, c.vars, code(a), c.code, a.Errors)
		}
	}
	a := post(t, srv, `{ product(key: "rails") { all: lines(depth: MAJOR) { line } two: lines(depth: MAJOR, first: 2) { line } } }`, nil)
	var got struct{ All, Two []struct{ Line string } }
	json.Unmarshal(a.Data["product"], &got)
	if len(got.All) < 3 || len(got.Two) != 2 || got.Two[0] != got.All[0] || got.Two[1] != got.All[1] {
		t.Errorf("first: 2 gives %v of %v", got.Two, got.All)
	}
}

// Lines answer from the lake version asOf picks, and are active by its
// commit time: vue 3.5.22 (2026-01-01) is in v42 (2026-04-01) only; without
// it the line 3.5 has only 3.5.13 (2024-11-15), over a year before v41
// (2026-03-01). The line 3.6 has a beta only: listed, never active.
func TestProductLines_asOfAndActiveWindow(t *testing.T) {
	s := newDocServer(t)
	ask := func(asOf string) string {
		q := `{ product(key: "vue") { lines(depth: MINOR` + asOf + `) { line active releases latest { version } } } }`
		rec := s.ask(s.h, false, q, "", nil)
		a := decodeAnswer(t, q, rec)
		if len(a.Errors) > 0 {
			t.Fatalf("%s: %s", q, rec.Body)
		}
		out, _ := json.Marshal(a.Data["product"])
		return string(out)
	}
	beta := `{"active":false,"latest":{"version":"3.6.0-beta.1"},"line":"3.6","releases":1}`
	if got, want := ask(""), `{"lines":[`+beta+`,{"active":true,"latest":{"version":"3.5.22"},"line":"3.5","releases":2}]}`; got != want {
		t.Errorf("served v42:\n got %s\nwant %s", got, want)
	}
	if got, want := ask(`, asOf: "2026-03-15T00:00:00Z"`), `{"lines":[`+beta+`,{"active":false,"latest":{"version":"3.5.13"},"line":"3.5","releases":1}]}`; got != want {
		t.Errorf("asOf v41:\n got %s\nwant %s", got, want)
	}
	if rec := s.ask(s.h, false, `{ product(key: "vue") { lines(asOf: "2020-01-01T00:00:00Z") { line } } }`, "", nil); !strings.Contains(rec.Body.String(), "NOT_FOUND") {
		t.Errorf("asOf before the first commit: %s", rec.Body)
	}
}

// Lines page with after, the last line of a page: the pages of rails's and
// kafka's real histories, three lines at a time, are all their lines in
// order; after a line the product lacks, the lesser ones follow. after is
// a line name at the depth asked, bounded, through the real server.
func TestProductLines_pagingAfter(t *testing.T) {
	srv, _ := fixtureServer(t)
	const q = `query($p: String!, $d: ReleaseLineDepth!, $n: Int, $after: String) { product(key: $p) { lines(depth: $d, first: $n, after: $after) { line } } }`
	lines := func(vars map[string]any) []string {
		t.Helper()
		a := post(t, srv, q, vars)
		var got struct{ Lines []struct{ Line string } }
		if err := json.Unmarshal(a.Data["product"], &got); err != nil || len(a.Errors) > 0 {
			t.Fatalf("%v: %v %+v", vars, err, a.Errors)
		}
		var out []string
		for _, l := range got.Lines {
			out = append(out, l.Line)
		}
		return out
	}
	for _, p := range []string{"rails", "kafka"} {
		for _, d := range []string{"MAJOR", "MINOR"} {
			all := lines(map[string]any{"p": p, "d": d})
			var walked []string
			vars := map[string]any{"p": p, "d": d, "n": 3}
			for {
				page := lines(vars)
				walked = append(walked, page...)
				if len(page) < 3 {
					break
				}
				vars["after"] = page[len(page)-1]
			}
			if strings.Join(walked, " ") != strings.Join(all, " ") || len(all) < 4 {
				t.Errorf("%s %s: pages of 3 give %v, all %v", p, d, walked, all)
			}
		}
	}
	// kafka's lines of the fixtures go 2.0, 1.1, 1.0, 0.11, 0.10, 0.9: after
	// 1.5 (not a line of it) comes 1.1, after 0.10 (greater than 0.9) 0.9.
	for after, want := range map[string]string{"1.5": "1.1", "0.10": "0.9", "9.0": "3.8"} {
		if got := lines(map[string]any{"p": "kafka", "d": "MINOR", "n": 1, "after": after}); len(got) != 1 || got[0] != want {
			t.Errorf("after %s: %v, want %s", after, got, want)
		}
	}
	for _, after := range []string{"4", "4.01", "4.1.0", "v4.1", "", "nightly", strings.Repeat("9", MaxLineBytes+1)} {
		a := post(t, srv, q, map[string]any{"p": "kafka", "d": "MINOR", "after": after})
		if code(a) != "BAD_USER_INPUT" {
			t.Errorf("after %q: %+v", after, a)
		}
	}
	if got := lines(map[string]any{"p": "kafka", "d": "MAJOR", "after": "0"}); len(got) != 0 {
		t.Errorf("after the least line: %v", got)
	}
}
