package graph

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// pageOf is the part of a releases answer the paging tests read.
type pageOf struct {
	Data struct {
		Releases struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
			Nodes []struct{ ID, Version, Tag string }
		}
	}
	Errors []struct{ Message string }
}

// askPage asks one page through h, both by POST and by GET (the fast and
// direct paths answer those), and checks they agree.
func (s *docServer) askPage(t *testing.T, where, q, vars string) pageOf {
	t.Helper()
	var pg pageOf
	want := s.ask(s.gqlgen, false, q, vars, nil).Body.String()
	for _, get := range []bool{false, true} {
		got := s.ask(s.h, get, q, vars, nil).Body.String()
		if got != want {
			t.Fatalf("%s: the served handler answers\n%s\ngqlgen's executor\n%s", where, got, want)
		}
	}
	if err := json.Unmarshal([]byte(want), &pg); err != nil || len(pg.Errors) > 0 {
		t.Fatalf("%s: %v %s", where, err, want)
	}
	return pg
}

// Paging backward (last/before) over the whole list, from its end to its
// start, gives the list paged forward, for every orderBy and a filter,
// through the real handler (fast and direct paths and gqlgen's executor
// alike); the page flags say where each page is.
func TestReleases_backwardPagingEqualsForwardReversed(t *testing.T) {
	s := newDocServer(t)
	const page = `{ totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id version tag } } }`
	const fwdQ = `query($o: ReleaseOrder, $n: Int, $c: String, $pre: Boolean) { releases(orderBy: $o, prerelease: $pre, first: $n, after: $c) ` + page
	const backQ = `query($o: ReleaseOrder, $n: Int, $c: String, $pre: Boolean) { releases(orderBy: $o, prerelease: $pre, last: $n, before: $c) ` + page
	for _, field := range []string{"PUBLISHED_AT", "VERSION", "FIRST_SEEN_AT"} {
		for _, dir := range []string{"ASC", "DESC"} {
			for _, pre := range []string{"null", "false"} {
				walk := func(back bool) []string {
					var ids []string
					cursor := "null"
					for pages := 0; ; pages++ {
						vars := fmt.Sprintf(`{"o":{"field":%q,"direction":%q},"n":7,"c":%s,"pre":%s}`, field, dir, cursor, pre)
						where := fmt.Sprintf("%s %s prerelease %s backward %v page %d", field, dir, pre, back, pages)
						q := fwdQ
						if back {
							q = backQ
						}
						pg := s.askPage(t, where, q, vars).Data.Releases
						var got []string
						for _, n := range pg.Nodes {
							got = append(got, n.ID)
						}
						more, behind, next := pg.PageInfo.HasNextPage, pg.PageInfo.HasPreviousPage, pg.PageInfo.EndCursor
						if back {
							ids = append(got, ids...)
							more, behind, next = behind, more, pg.PageInfo.StartCursor
						} else {
							ids = append(ids, got...)
						}
						if behind != (pages > 0) {
							t.Fatalf("%s: the flag of the pages behind is %v", where, behind)
						}
						if !more {
							if len(ids) != pg.TotalCount {
								t.Fatalf("%s: %d releases walked, totalCount %d", where, len(ids), pg.TotalCount)
							}
							return ids
						}
						if len(got) != 7 || pages > 100 {
							t.Fatalf("%s: a page of %d with more to come", where, len(got))
						}
						cursor = quote(*next)
					}
				}
				fwd, back := walk(false), walk(true)
				if len(fwd) < 200 || !slices.Equal(fwd, back) {
					t.Fatalf("%s %s prerelease %s: backward (%d) is not forward (%d):\n%v\n%v", field, dir, pre, len(back), len(fwd), back, fwd)
				}
			}
		}
	}
}

// Every release's and product's id fetches it again through node and nodes
// (in the order asked, null where gone), and an id is what docs/api.md says:
// base64url of type, product key and tag, so it does not depend on the lake
// version or on any other column.
func TestNode_idsRoundTrip(t *testing.T) {
	s := newDocServer(t)
	type obj struct {
		Typename string `json:"__typename"`
		ID, Key  string
		Tag      string
		Product  struct{ Key string }
	}
	var all []obj
	var cursor *string
	for {
		vars := `{"c":null}`
		if cursor != nil {
			vars = `{"c":` + quote(*cursor) + `}`
		}
		var a struct {
			Data struct {
				Releases struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   *string
					}
					Nodes []obj
				}
			}
		}
		rec := s.ask(s.h, false, `query($c: String) { releases(first: 100, after: $c) { pageInfo { hasNextPage endCursor } nodes { __typename id tag product { key } } } }`, vars, nil)
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			t.Fatal(err, rec.Body)
		}
		all = append(all, a.Data.Releases.Nodes...)
		if cursor = a.Data.Releases.PageInfo.EndCursor; !a.Data.Releases.PageInfo.HasNextPage {
			break
		}
	}
	rec := s.ask(s.h, false, `{ products { __typename id key } }`, ``, nil)
	var ps struct{ Data struct{ Products []obj } }
	if err := json.Unmarshal(rec.Body.Bytes(), &ps); err != nil {
		t.Fatal(err)
	}
	all = append(all, ps.Data.Products...)
	if len(all) < 248+40 {
		t.Fatalf("%d objects: the doc lake lost its rows", len(all))
	}
	seen := map[string]bool{}
	for _, o := range all {
		want := releaseID(&releaselake.Release{Product: o.Product.Key, Tag: o.Tag})
		if o.Typename == "Product" {
			want = productID(o.Key)
		}
		if o.ID != want || seen[o.ID] {
			t.Fatalf("%+v: id %s, want %s, unique", o, o.ID, want)
		}
		seen[o.ID] = true
	}
	const sel = `__typename id ... on Release { tag product { key } } ... on Product { key }`
	for i := 0; i < len(all); i += MaxNodes - 1 { // and one gone: MaxNodes ids
		batch := all[i:min(i+MaxNodes-1, len(all))]
		ids := make([]string, 0, len(batch)+1)
		for _, o := range batch {
			ids = append(ids, o.ID)
		}
		gone := releaseID(&releaselake.Release{Product: "react", Tag: "v0.0.1"})
		ids = append(ids[:len(ids)-1], gone, ids[len(ids)-1]) // a release not in the lake, second to last
		if len(ids) != MaxNodes && i+MaxNodes-1 < len(all) {
			t.Fatalf("a batch of %d ids", len(ids))
		}
		b, _ := json.Marshal(map[string]any{"ids": ids})
		var a struct{ Data struct{ Nodes []*obj } }
		want := s.ask(s.gqlgen, false, `query($ids: [ID!]!) { nodes(ids: $ids) { `+sel+` } }`, string(b), nil)
		got := s.ask(s.h, true, `query($ids: [ID!]!) { nodes(ids: $ids) { `+sel+` } }`, string(b), nil)
		if got.Body.String() != want.Body.String() {
			t.Fatalf("nodes: served %s, gqlgen %s", got.Body, want.Body)
		}
		if err := json.Unmarshal(got.Body.Bytes(), &a); err != nil || len(a.Data.Nodes) != len(ids) {
			t.Fatalf("nodes: %v %s", err, got.Body)
		}
		for k, n := range a.Data.Nodes {
			switch {
			case ids[k] == gone:
				if n != nil {
					t.Fatalf("nodes: %+v for a release not in the lake", n)
				}
			case n == nil || n.ID != ids[k]:
				t.Fatalf("nodes[%d]: %+v, want id %s", k, n, ids[k])
			}
		}
	}
	for _, o := range all[:3] {
		rec := s.ask(s.h, false, `query($id: ID!) { node(id: $id) { id } }`, `{"id":`+quote(o.ID)+`}`, nil)
		if !strings.Contains(rec.Body.String(), `"node":{"id":`+quote(o.ID)+`}`) {
			t.Fatalf("node(%s): %s", o.ID, rec.Body)
		}
	}
}

// An id names a release by product key and tag alone: a new lake version
// whose rows carry other values and new column values answers the same id
// for the same release.
func TestNode_idIsStableAcrossLakeVersions(t *testing.T) {
	r1 := releaselake.Release{Product: "react", Tag: "v19.10.0", Version: "19.10.0", Name: "19.10.0"}
	r2 := r1
	r2.Name, r2.Version, r2.Repo = "React 19.10", "19.10.0-renamed", "facebook/react2"
	*r2.Str(releaselake.ColNotes) = "notes arrived with a new column"
	if releaseID(&r1) != releaseID(&r2) {
		t.Fatalf("the id moved with the row's other columns: %s, %s", releaseID(&r1), releaseID(&r2))
	}
	if got := releaseID(&r1); got != "UmVsZWFzZTpyZWFjdDp2MTkuMTAuMA" { // docs/api.md
		t.Fatalf("the id format changed: %s", got)
	}
	for _, tag := range []string{"rel/release-3.1.0", "a:b:c", "@emotion/react@12.0.0", "v1.0 ☃"} {
		typ, p, got, err := decodeID(releaseID(&releaselake.Release{Product: "p", Tag: tag}))
		if err != nil || typ != typeRelease || p != "p" || got != tag {
			t.Fatalf("%q: read back %q %q %q %v", tag, typ, p, got, err)
		}
	}
}

// Ids, nodes, release, last/before and seenSince are bounded before any
// work: a hostile client's every way of making them costly is refused with
// BAD_USER_INPUT (or priced out), through the real server.
func TestRelay_hostileArgumentsAreRefused(t *testing.T) {
	s := serve(t, Options{})
	ids := func(n int, id string) string {
		b, _ := json.Marshal(map[string]any{"query": `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
			"variables": map[string]any{"ids": slices.Repeat([]string{id}, n)}})
		return string(b)
	}
	rel := releaseID(&releaselake.Release{Product: "a", Tag: "v1"})
	var counts strings.Builder // aliases of a count each visiting rows seen since
	counts.WriteString(`{"query":"{`)
	for i := range 50 {
		fmt.Fprintf(&counts, ` c%d: releases(seenSince: \"2026-01-0%d\", first: 0) { totalCount }`, i, 1+i%9)
	}
	counts.WriteString(` }"}`)
	for _, tc := range []struct{ name, body, code, says string }{
		{"101 ids", ids(MaxNodes+1, rel), "BAD_USER_INPUT", "at most 100"},
		{"10,000 ids", ids(10000, rel), "COMPLEXITY_LIMIT_EXCEEDED", ""},
		{"an id of 100 KB", ids(1, strings.Repeat("A", 100<<10)), "BAD_USER_INPUT", "ids[0]: id: not an id from this API"},
		{"not base64", `{"query":"{ node(id: \"!!\") { id } }"}`, "BAD_USER_INPUT", "not an id from this API"},
		{"an unknown type", `{"query":"{ node(id: \"` + base64URL("Tag:a:v1") + `\") { id } }"}`, "BAD_USER_INPUT", "not an id"},
		{"a release id without a tag", `{"query":"{ node(id: \"` + base64URL("Release:a") + `\") { id } }"}`, "BAD_USER_INPUT", "not an id"},
		{"a version of 2 KB", `{"query":"{ release(product: \"a\", version: \"` + strings.Repeat("9", 2048) + `\") { id } }"}`, "BAD_USER_INPUT", "at most 1024"},
		{"both version and tag", `{"query":"{ release(product: \"a\", version: \"1\", tag: \"v1\") { id } }"}`, "BAD_USER_INPUT", "exactly one"},
		{"an unknown product", `{"query":"{ release(product: \"zz\", tag: \"v1\") { id } }"}`, "BAD_USER_INPUT", "unknown product key(s): zz"},
		{"last over 100", `{"query":"{ releases(last: 101) { totalCount } }"}`, "BAD_USER_INPUT", "last must be between 0 and 100"},
		{"last below 0", `{"query":"{ releases(last: -1) { totalCount } }"}`, "BAD_USER_INPUT", "last must be between"},
		{"first and last", `{"query":"{ releases(first: 5, last: 5) { totalCount } }"}`, "BAD_USER_INPUT", "do not go together"},
		{"a damaged before", `{"query":"{ releases(last: 5, before: \"x\") { totalCount } }"}`, "BAD_USER_INPUT", "before: not a cursor"},
		{"a bad seenSince", `{"query":"{ releases(seenSince: \"2026-13-01\") { totalCount } }"}`, "BAD_USER_INPUT", "DateTime must be"},
		{"50 seenSince counts", counts.String(), "COMPLEXITY_LIMIT_EXCEEDED", ""},
		{"three nested last pages", `{"query":"{ releases(last: 100) { nodes { product { releases(last: 100) { nodes { tag } } } } } }"}`, "COMPLEXITY_LIMIT_EXCEEDED", ""},
	} {
		_, body := do(t, "POST", s.URL, tc.body, nil)
		if codeOf(t, body) != tc.code || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %.300s; want %s %q", tc.name, body, tc.code, tc.says)
		}
	}
}

func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// A date alone is its start in UTC wherever a DateTime is read; seenSince
// filters on firstSeenAt, and goes with the other filters.
func TestReleases_datesAndSeenSince(t *testing.T) {
	s := newDocServer(t)
	for _, tc := range []struct{ q, same string }{
		{`{ releases(since: "2026-01-01", until: "2026-02-01") { totalCount nodes { id } } }`,
			`{ releases(since: "2026-01-01T00:00:00Z", until: "2026-02-01T00:00:00Z") { totalCount nodes { id } } }`},
		{`{ releases(seenSince: "2026-03-01") { totalCount nodes { id } } }`,
			`{ releases(seenSince: "2026-03-01T00:00:00Z") { totalCount nodes { id } } }`},
	} {
		a, b := s.ask(s.h, true, tc.q, ``, nil).Body.String(), s.ask(s.gqlgen, false, tc.same, ``, nil).Body.String()
		if a != b || strings.Contains(a, "errors") || strings.Contains(a, `"totalCount":0`) {
			t.Fatalf("%s\n%s\n%s\n%s", tc.q, a, tc.same, b)
		}
	}
	// seenSince against the rows themselves: every release first seen at or
	// after the instant, and only those.
	all := s.lake.v42.Releases(serving.Filter{})
	cut := all[len(all)/2].FirstSeenAt
	want := 0
	for _, r := range all {
		if !r.FirstSeenAt.Before(cut) {
			want++
		}
	}
	rec := s.ask(s.h, false, `query($s: DateTime) { releases(seenSince: $s, first: 0) { totalCount } }`, `{"s":`+quote(cut.Format("2006-01-02T15:04:05.999999999Z07:00"))+`}`, nil)
	if !strings.Contains(rec.Body.String(), fmt.Sprintf(`"totalCount":%d`, want)) || want == 0 || want == len(all) {
		t.Fatalf("seenSince %s: %s, want %d of %d", cut, rec.Body, want, len(all))
	}
}

// A product's card facts come from its catalog keys, null where the catalog
// gives none, alike on the fast path and through gqlgen's executor.
func TestProduct_facts(t *testing.T) {
	pr := pairOf(t, oddResolver(t), true)
	body := []byte(`{"query":"{ products { key category homepage description } }"}`)
	_, fast := rawPost(t, pr.fast.URL, body)
	_, slow := rawPost(t, pr.slow.URL, body)
	want := `{"data":{"products":[{"key":"a","category":"Web \"frameworks\"","homepage":"https://a.example/?q=1\u0026x=\u003cy\u003e","description":"A sentence\u2028with ünïcode \u0026 \u003ctags\u003e."},` +
		`{"key":"b","category":"Data","homepage":null,"description":null},{"key":"c","category":null,"homepage":null,"description":null},` +
		`{"key":"empty","category":null,"homepage":null,"description":null}]}}`
	var got, exp any
	if err := json.Unmarshal(fast, &got); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(want), &exp)
	if !bytes.Equal(fast, slow) || fmt.Sprint(got) != fmt.Sprint(exp) {
		t.Fatalf("fast %s\nslow %s\nwant %s", fast, slow, want)
	}
}

// The fast path answers the new list arguments itself (not by handing the
// field to gqlgen), byte for byte as gqlgen does.
func TestFastPath_answersBackwardPagesAndSeenSince(t *testing.T) {
	pr := pairOf(t, oddResolver(t), true)
	for _, q := range []string{
		`{ releases(last: 3) { pageInfo { hasPreviousPage hasNextPage startCursor endCursor } nodes { id } } }`,
		`{ releases(seenSince: "2026-01-01", orderBy: {field: VERSION}, last: 2) { totalCount nodes { id tag } } }`,
		`{ product(key: "a") { id releases(last: 2, seenSince: "2026-01-01T00:00:00Z") { pageInfo { hasPreviousPage } edges { cursor } } } }`,
		`{ latest(products: ["c", "empty", "a"]) { id } }`,
	} {
		body, _ := json.Marshal(map[string]any{"query": q})
		before := pr.hits()
		_, fb := rawPost(t, pr.fast.URL, body)
		_, sb := rawPost(t, pr.slow.URL, body)
		if !bytes.Equal(fb, sb) || bytes.Contains(fb, []byte("errors")) {
			t.Fatalf("%s:\nfast %s\nslow %s", q, fb, sb)
		}
		if pr.hits() == before {
			t.Errorf("%s: the fast path did not answer", q)
		}
	}
}
