package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/graph/fastpath"
	"github.com/releaselake/releaselake/serving"
)

// oddCatalog and oddRows are data that exercise the JSON writer: quotes,
// backslashes, control characters, non-ASCII, nanoseconds, zero times, a row
// whose product left the catalog.
func oddCatalog(t testing.TB) *releaselake.Catalog {
	cat, err := releaselake.NewCatalog([]releaselake.Product{
		{Key: "a", Name: "A \"quoted\" \\ name", Kind: "github", Ref: "o/a", Category: "Web \"frameworks\"",
			Homepage: "https://a.example/?q=1&x=<y>", Description: "A sentence\u2028with ünïcode & <tags>."},
		{Key: "b", Name: "Bé 日本", Kind: "pypi", Ref: "b", Category: "Data"},
		{Key: "c", Name: "C\x01\x1f\t\n\r<&>\u2028", Kind: "npm", Ref: "@scope/c"},
		{Key: "empty", Name: "Empty", Kind: "maven", Ref: "g:empty"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func oddRows() []releaselake.Release {
	base := time.Date(2026, 1, 1, 12, 0, 0, 123456789, time.UTC)
	var out []releaselake.Release
	for i := range 40 {
		p := []string{"a", "b", "c", "gone"}[i%4]
		v := fmt.Sprintf("%d.%d.%d", i%3, i%7, i)
		pre := i%5 == 0
		if pre {
			v += "-rc.1"
		}
		r := releaselake.Release{Product: p, Tag: "v" + v, Version: v, Prerelease: pre, Yanked: i%11 == 0,
			Name: fmt.Sprintf("Release %q \\ %d\x00\x7f\xff", v, i), URL: "https://example.com/r?x=1&y=<" + v + ">",
			Source: releaselake.SourceGitHubRelease, Repo: "o/" + p, DateSource: releaselake.DateReleasePublished,
			PublishedAt: base.Add(time.Duration(i/2) * 36 * time.Hour).In(time.FixedZone("X", 3600))}
		if i%3 != 0 {
			r.FirstSeenAt = base.Add(time.Duration(i%4) * time.Hour)
		}
		if i%2 == 0 {
			r.Notes = fmt.Sprintf("## %s\n\n* <script>alert(%d)</script> & \"q\" \u2028\t\x01", v, i)
		}
		out = append(out, r)
	}
	return out
}

type pair struct {
	fast, slow *httptest.Server
	hits       func() int64 // answers of the shortcuts so far
}

// pairOf serves the same resolver through the fast path (and, unless
// noDirect, the direct path) and through gqlgen's executor alone, both
// without the response cache.
func pairOf(t testing.TB, r *Resolver, noDirect bool) pair {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, hits := counting(r, Options{Log: log, CacheBytes: -1}, shortcuts{noDirect: noDirect}, true)
	fast := httptest.NewServer(h)
	slow := httptest.NewServer(newHandler(r, Options{Log: log, CacheBytes: -1}, shortcuts{off: true}))
	t.Cleanup(fast.Close)
	t.Cleanup(slow.Close)
	return pair{fast, slow, hits}
}

func oddResolver(t testing.TB) *Resolver {
	ix := serving.NewIndex(releaselake.Snapshot{Version: 7, CommittedAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Releases: oddRows()})
	old := serving.NewIndex(releaselake.Snapshot{Version: 3, Releases: oddRows()[:10]})
	return &Resolver{
		Catalog: oddCatalog(t),
		Index:   func() *serving.Index { return ix },
		Runs:    func(context.Context, int) ([]releaselake.Run, error) { return nil, nil },
		Notices: func() []string { return nil },
		AsOf: func(_ context.Context, at time.Time) (*serving.Index, error) {
			switch {
			case at.Before(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)):
				return nil, nil // before the first commit
			case at.Before(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)):
				return old, nil
			}
			return ix, nil
		},
	}
}

func rawPost(t testing.TB, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

const allReleaseFields = `__typename version tag name url publishedAt prerelease yanked source repo dateSource firstSeenAt notes product { __typename key name source repo }`

// fastPathCases are queries the fast path must answer byte for byte as gqlgen does.
var fastPathCases = []struct {
	name, query string
	vars        map[string]any
	fast        bool // the fast path answers (no error expected)
}{
	{"all fields", `{ releases(first: 50) { __typename totalCount nodes { ` + allReleaseFields + ` } pageInfo { __typename hasNextPage endCursor } } }`, nil, true},
	{"edges and cursors", `{ releases(first: 7) { edges { __typename cursor node { tag } } pageInfo { endCursor hasNextPage } } }`, nil, true},
	{"aliases and repeats", `{ r: releases(first: 3) { n: nodes { v: version t: tag v2: version } c: totalCount } s: releases(first: 2, products: ["b"]) { totalCount } }`, nil, true},
	{"fragments", `query { releases(first: 5) { ...Conn } } fragment Conn on ReleaseConnection { totalCount nodes { ...Rel ... on Release { name } } } fragment Rel on Release { tag product { key } }`, nil, true},
	{"skip and include", `query($yes: Boolean!, $no: Boolean!) { releases(first: 4) { totalCount @skip(if: $yes) nodes { tag @include(if: $yes) version @include(if: $no) name @skip(if: $no) } } }`, map[string]any{"yes": true, "no": false}, true},
	{"filters", `query($p: [String!], $s: DateTime, $u: DateTime) { releases(products: $p, since: $s, until: $u, prerelease: false, first: 10) { totalCount nodes { tag publishedAt } pageInfo { hasNextPage endCursor } } }`,
		map[string]any{"p": []string{"c", "a"}, "s": "2026-01-05T00:00:00Z", "u": "2026-01-20T00:00:00.000+01:00"}, true},
	{"single product string coerced to a list", `{ releases(products: "b", first: 3) { totalCount nodes { tag } } }`, nil, true},
	{"order by version ascending", `{ releases(orderBy: {field: VERSION, direction: ASC}, first: 12) { nodes { product { key } version } pageInfo { endCursor } } }`, nil, true},
	{"order by first seen, default direction", `query($o: ReleaseOrder) { releases(orderBy: $o, first: 12) { edges { cursor node { tag firstSeenAt } } } }`, map[string]any{"o": map[string]any{"field": "FIRST_SEEN_AT"}}, true},
	{"empty page", `{ releases(first: 0) { totalCount nodes { tag } edges { cursor } pageInfo { hasNextPage endCursor } } }`, nil, true},
	{"empty last page", `{ releases(last: 0) { totalCount nodes { tag } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil, true},
	{"empty page before the first cursor", `{ releases(orderBy: {field: VERSION, direction: ASC}, last: 0, before: "AQOAh7OVDZWa7zr_24_5zgMAAWEKMC4wLjAtcmMuMQt2MC4wLjAtcmMuMQ") { totalCount nodes { tag } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } first: releases(orderBy: {field: VERSION, direction: ASC}, first: 1) { edges { cursor } } }`, nil, true},
	{"no match", `{ releases(products: ["empty"]) { totalCount nodes { tag } pageInfo { hasNextPage endCursor } } }`, nil, true},
	{"latest", `{ latest { ` + allReleaseFields + ` } }`, nil, true},
	{"semver", `{ releases(first: 40) { nodes { version semver { __typename major minor patch pre build } } } latest { s: semver { pre major } } }`, nil, true},
	{"semver in fragments, twice", `{ releases(first: 9) { nodes { ...S semver { build } } } } fragment S on Release { semver { minor ... on Semver { patch } } }`, nil, true},
	{"latest of some, duplicates", `{ latest(products: ["c", "a", "c", "empty"]) { product { key } version } }`, nil, true},
	{"latest of many, duplicates", `{ latest(products: ["c", "a", "c", "empty", "b", "a", "empty", "b", "c", "a"]) { product { key } version } }`, nil, true},
	{"products with nested lists", `{ products { __typename key name source repo latest { version tag } releases(first: 2, orderBy: {field: VERSION}) { totalCount nodes { version } pageInfo { hasNextPage } } } }`, nil, true},
	{"products search", `query($q: String) { products(search: $q) { key } }`, map[string]any{"q": "B 日"}, true},
	{"product", `{ product(key: "a") { key name latest { version } releases(prerelease: true, first: 3) { nodes { tag prerelease } } } }`, nil, true},
	{"product unknown is null", `{ product(key: "nope") { key } }`, nil, true},
	{"release of a product gone from the catalog", `{ releases(products: ["a"], first: 1) { nodes { tag } } gone: releases(first: 40) { nodes { product { key name source repo latest { tag } } } } }`, nil, false},
	{"nested product releases", `{ releases(first: 2) { nodes { product { releases(first: 2, since: "2026-01-10T00:00:00Z") { totalCount nodes { tag } } } } } }`, nil, true},
	{"asOf", `{ releases(asOf: "2026-01-02T00:00:00Z") { totalCount } latest(asOf: "2026-01-02T00:00:00Z") { tag } product(key: "a") { latest(asOf: "2026-01-02T00:00:00Z") { tag } } }`, nil, true},
	{"mixed with slow fields", `{ lake { version rows } releases(first: 1) { totalCount } __typename }`, nil, true},
	// Errors: the fast path steps aside and gqlgen reports them.
	{"first over the cap", `{ releases(first: 101) { totalCount } }`, nil, false},
	{"asOf before the first commit", `{ latest(asOf: "2020-01-01T00:00:00Z") { tag } }`, nil, false},
	{"nested releases by cursor and order", `{ product(key: "a") { releases(first: 2, orderBy: {field: VERSION, direction: ASC}, after: "AQMDAAEAAWEFMC4wLjAGdjAuMC4w", asOf: "2026-01-02T00:00:00Z") { totalCount nodes { version } pageInfo { hasNextPage endCursor } } } }`, nil, true},
	{"nested releases asOf before the first commit: the product null", `{ product(key: "a") { key releases(asOf: "2020-01-01T00:00:00Z") { totalCount } } }`, nil, false},
	{"asOf before the first commit, nested: partial data", `{ product(key: "a") { key latest(asOf: "2020-01-01T00:00:00Z") { tag } releases(first: 1) { totalCount } } }`, nil, false},
	// (One failing root field per query: gqlgen runs root fields concurrently, so
	// the order of their errors varies from run to run.)
	{"unknown product", `{ releases(products: ["zz", "a"]) { totalCount } }`, nil, false},
	{"unknown product in latest", `{ latest(products: ["yy"]) { tag } releases(first: 1) { totalCount } }`, nil, false},
	{"bad cursor", `{ releases(after: "bm9wZQ") { totalCount } }`, nil, false},
	{"bad DateTime", `query($s: DateTime) { releases(since: $s) { totalCount } }`, map[string]any{"s": "2026-13-01"}, false},
	{"null order field", `query($o: ReleaseOrder) { releases(orderBy: $o) { totalCount } }`, map[string]any{"o": map[string]any{"field": nil}}, false},
}

func TestFastPath_answersExactlyAsGqlgen(t *testing.T) {
	for _, noDirect := range []bool{true, false} {
		t.Run(fmt.Sprintf("noDirect=%v", noDirect), func(t *testing.T) { testFastPathCases(t, pairOf(t, oddResolver(t), noDirect)) })
	}
}

func testFastPathCases(t *testing.T, pr pair) {
	// Twice: the second time rows come from the row memo, and the direct path
	// answers (the first time gqlgen parses and validates the query).
	for pass, tc := range append(slices.Clone(fastPathCases), fastPathCases...) {
		t.Run(fmt.Sprintf("%s/%d", tc.name, pass/len(fastPathCases)), func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": tc.query, "variables": tc.vars})
			before := pr.hits()
			fs, fb := rawPost(t, pr.fast.URL, body)
			ss, sb := rawPost(t, pr.slow.URL, body)
			if fs != ss || !bytes.Equal(fb, sb) {
				t.Fatalf("fast path differs:\nfast %d %s\nslow %d %s", fs, fb, ss, sb)
			}
			var r response
			if err := json.Unmarshal(fb, &r); err != nil {
				t.Fatalf("not JSON: %v: %s", err, fb)
			}
			if hit := pr.hits() > before; tc.fast && (!hit || len(r.Errors) > 0) {
				t.Errorf("fast path not taken (hit %v): %s", hit, fb)
			}
		})
	}
}

// Walking every order to its end by cursors gives the same pages both ways.
func TestFastPath_cursorWalksMatchGqlgen(t *testing.T) {
	pr := pairOf(t, oddResolver(t), false)
	q := `query($o: ReleaseOrder, $after: String, $p: [String!]) { releases(orderBy: $o, after: $after, products: $p, first: 7) {
		totalCount edges { cursor node { tag } } pageInfo { hasNextPage endCursor } } }`
	for _, field := range []string{"PUBLISHED_AT", "VERSION", "FIRST_SEEN_AT"} {
		for _, dir := range []string{"ASC", "DESC"} {
			for _, products := range [][]string{nil, {"a", "gone"}} {
				vars := map[string]any{"o": map[string]any{"field": field, "direction": dir}, "p": products}
				seen := 0
				for page := 0; ; page++ {
					body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
					_, fb := rawPost(t, pr.fast.URL, body)
					_, sb := rawPost(t, pr.slow.URL, body)
					if !bytes.Equal(fb, sb) {
						t.Fatalf("%s %s page %d differs:\nfast %s\nslow %s", field, dir, page, fb, sb)
					}
					var r struct {
						Data struct {
							Releases struct {
								TotalCount int
								Edges      []struct{ Cursor string }
								PageInfo   struct {
									HasNextPage bool
									EndCursor   string
								}
							}
						}
					}
					json.Unmarshal(fb, &r)
					seen += len(r.Data.Releases.Edges)
					if !r.Data.Releases.PageInfo.HasNextPage {
						if seen != r.Data.Releases.TotalCount {
							t.Fatalf("%s %s %v: walked %d of %d", field, dir, products, seen, r.Data.Releases.TotalCount)
						}
						break
					}
					vars["after"] = r.Data.Releases.PageInfo.EndCursor
				}
			}
		}
	}
}

// The point of the fast path: far fewer allocations than gqlgen's executor.
func TestFastPath_allocatesLittle(t *testing.T) {
	r := oddResolver(t)
	fast := NewHandler(r, Options{CacheBytes: -1})
	slow := newHandler(r, Options{CacheBytes: -1}, shortcuts{off: true})
	body := []byte(`{"query":"{ releases(first: 40) { totalCount nodes { product { key } tag version prerelease publishedAt url } } }"}`)
	allocs := func(h http.Handler) float64 {
		return testing.AllocsPerRun(50, func() {
			req := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			h.ServeHTTP(httptest.NewRecorder(), req)
		})
	}
	f, s := allocs(fast), allocs(slow)
	t.Logf("allocations per request: fast path %.0f, gqlgen executor %.0f", f, s)
	if f*5 > s {
		t.Errorf("fast path allocates %.0f per request, gqlgen %.0f: expected at least 5x fewer", f, s)
	}
}

// Many requests at once, over the row memo: every answer is gqlgen's.
func TestFastPath_concurrentAnswersMatch(t *testing.T) {
	pr := pairOf(t, oddResolver(t), false)
	var want [][]byte
	var bodies [][]byte
	for _, tc := range fastPathCases {
		if !tc.fast {
			continue
		}
		body, _ := json.Marshal(map[string]any{"query": tc.query, "variables": tc.vars})
		_, sb := rawPost(t, pr.slow.URL, body)
		bodies, want = append(bodies, body), append(want, sb)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 3 * len(bodies) {
				i := (k + g) % len(bodies)
				if _, fb := rawPost(t, pr.fast.URL, bodies[i]); !bytes.Equal(fb, want[i]) {
					t.Errorf("concurrent answer differs:\nfast %s\nslow %s", fb, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

// counting returns newHandler's handler and a count of what its shortcuts
// answered: root fields within gqlgen's executor (when fields) and requests
// by the direct path.
func counting(r *Resolver, o Options, sc shortcuts, fields bool) (http.Handler, func() int64) {
	var p *fastpath.Path
	sc.path = &p
	h := newHandler(r, o, sc)
	return h, func() int64 {
		f, d := p.Answered()
		if fields {
			return f + d
		}
		return d
	}
}
