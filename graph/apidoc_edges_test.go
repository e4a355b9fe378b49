package graph

import (
	"encoding/json"
	"strings"
	"testing"
)

// What docs/api.md says of the edges of the API, each by the words that say
// it, holds: every answer as the doc says (a JSON fragment of it, or an
// error code and words of its message), and the same through gqlgen's
// executor alone.
func TestAPIDoc_edges(t *testing.T) {
	doc, _ := apiDoc(t)
	doc = strings.Join(strings.Fields(doc), " ") // the doc's words, whatever the line breaks
	s := newDocServer(t)
	for _, tc := range []struct {
		says, query, vars string
		want              []string // fragments of the answer, after a code and words of the message if it fails
	}{
		{"absent, `null` or an empty list means all products",
			`{ releases(products: []) { totalCount } latest(products: null) { product { key } } }`, ``,
			[]string{`"totalCount":248`, `"latest":[null,null,{"product":{"key":"spark"}},null,`, `{"product":{"key":"vue"}},null,`}},
		{"an error naming every unknown key: `unknown product key(s): reactt`",
			`query($p: [String!]) { releases(products: $p) { totalCount } }`, `{"p": ["vuee", "react", "reactt"]}`,
			[]string{`BAD_USER_INPUT`, `unknown product key(s): reactt, vuee`}},
		{"`publishedAt >= since` and `< until`",
			`{ releases(products: ["vue"], since: "2026-01-01T00:00:00Z", until: "2026-01-01T00:00:00.000000001Z") { nodes { tag } } }`, ``,
			[]string{`"nodes":[{"tag":"v3.5.22"}]`}},
		{"`publishedAt >= since` and `< until`",
			`{ releases(products: ["vue"], until: "2026-01-01T01:00:00+01:00") { nodes { tag } } }`, ``,
			[]string{`"nodes":[{"tag":"v3.6.0-beta.1"},{"tag":"v3.5.13"}]`}},
		{"input accepts any offset and optional fractional seconds",
			`{ releases(products: ["vue"], since: "2025-12-31T23:29:59.5-00:30") { nodes { tag } } }`, ``,
			[]string{`"nodes":[{"tag":"v3.5.22"}]`}},
		{"`prerelease: true` gives only prereleases, `false` only stable releases",
			`{ pre: releases(prerelease: true) { nodes { tag } } stable: releases(prerelease: false) { totalCount } }`, ``,
			[]string{`"pre":{"nodes":[{"tag":"v19.10.0-rc.1"},{"tag":"v3.6.0-beta.1"},{"tag":"v4.1.0-preview1"},{"tag":"@emotion/react@12.0.0-alpha.1"}]}`, `"stable":{"totalCount":244}`}},
		{"`{field: VERSION}` by product key, then greatest version first",
			`{ releases(products: ["vue", "react"], orderBy: {field: VERSION}, first: 5) { nodes { product { key } version } } }`, ``,
			[]string{`[{"product":{"key":"react"},"version":"19.10.0"},{"product":{"key":"react"},"version":"19.10.0-rc.1"},{"product":{"key":"react"},"version":"19.9.1"},{"product":{"key":"react"},"version":"19.9.0"},{"product":{"key":"react"},"version":"19.0.0"}]`}},
		{"`{field: PUBLISHED_AT, direction: ASC}` oldest first",
			`{ releases(products: ["vue", "kafka"], orderBy: {field: PUBLISHED_AT, direction: ASC}) { nodes { tag } } }`, ``,
			[]string{`[{"tag":"3.9.0"},{"tag":"v3.5.13"},{"tag":"4.0.0"},{"tag":"v3.6.0-beta.1"},{"tag":"v3.5.22"}]`}},
		{"`direction: ASC` smallest version first",
			`{ releases(products: ["vue", "kafka"], orderBy: {field: VERSION, direction: ASC}) { nodes { tag } } }`, ``,
			[]string{`[{"tag":"3.9.0"},{"tag":"4.0.0"},{"tag":"v3.5.13"},{"tag":"v3.5.22"},{"tag":"v3.6.0-beta.1"}]`}},
		{"`{field: FIRST_SEEN_AT}` what the lake learned most recently first",
			`{ releases(orderBy: {field: FIRST_SEEN_AT}, first: 2) { nodes { tag } } }`, ``,
			[]string{`[{"tag":"v19.9.1"},{"tag":"v19.10.0"}]`}},
		{"One entry per product, in the order you asked: `null` for a product without a stable release (emotion has prereleases only), so the answer lines up with the question. A key asked twice is answered twice",
			`{ latest(products: ["vue", "emotion", "pandas", "react", "vue"]) { product { key } version } }`, ``,
			[]string{`[{"product":{"key":"vue"},"version":"3.5.22"},null,{"product":{"key":"pandas"},"version":"2.2.3"},{"product":{"key":"react"},"version":"19.10.0"},{"product":{"key":"vue"},"version":"3.5.22"}]`}},
		{"`2026-01-01` is `2026-01-01T00:00:00Z`",
			`{ a: releases(products: ["vue"], since: "2026-01-01") { nodes { tag } } b: releases(products: ["vue"], until: "2026-01-01") { totalCount } }`, ``,
			[]string{`"a":{"nodes":[{"tag":"v3.5.22"}]}`, `"b":{"totalCount":2}`}},
		{"An id this API did not make is a `BAD_USER_INPUT` error (\"not an id from this API\"; in `nodes`, naming its position: `ids[2]: …`)",
			`{ nodes(ids: ["UHJvZHVjdDp2dWU", "UHJvZHVjdDp2dWU", "x"]) { id } }`, ``,
			[]string{`BAD_USER_INPUT`, `ids[2]: id: not an id from this API`}},
		{"One direction per request: `first` with `last`, `after` with `last`, `before` with `first`, or `after` with `before` is `BAD_USER_INPUT`",
			`{ releases(first: 2, before: "x") { totalCount } }`, ``,
			[]string{`BAD_USER_INPUT`, `before does not go with first`}},
		{"`search` matches every word (ignoring case) against key, name and repository, exact and prefix matches first",
			`{ a: products(search: "SPRING") { key } b: products(search: "vuejs") { key } c: products(search: "projects FRAMEWORK") { key } }`, ``,
			[]string{`"a":[{"key":"spring"},{"key":"springboot"}]`, `"b":[{"key":"vuex"},{"key":"vue"}]`, `"c":[{"key":"spring"}]`}},
		{"`product(key:)` is `null` for an unknown key",
			`{ product(key: "reactt") { key } emotion: product(key: "emotion") { latest { version } } }`, ``,
			[]string{`"product":null`, `"emotion":{"latest":null}`}},
		{"the newest version committed at or before that instant",
			`{ before: latest(products: ["kafka"], asOf: "2026-03-31T23:59:59Z") { version } at: latest(products: ["kafka"], asOf: "2026-04-01T00:00:00Z") { version } }`, ``,
			[]string{`"before":[{"version":"3.9.0"}]`, `"at":[{"version":"4.0.0"}]`}},
		{"Before the first commit the answer is a `NOT_FOUND` error",
			`{ releases(asOf: "2026-02-28T23:59:59Z") { totalCount } }`, ``,
			[]string{`NOT_FOUND`, `no version committed at or before 2026-02-28T23:59:59Z`}},
		{"`totalCount` counts the whole filtered list, whatever the page",
			`query($after: String) { releases(products: ["react"], first: 100, after: $after) { totalCount } }`, `{"after": "AQCwpK6aDQCAkrGaDQAFcmVhY3QGMTkuOS4xB3YxOS45LjE"}`,
			[]string{`"totalCount":236`}},
		{"For the first page leave `after` out or send `null` (an empty string is not a cursor)",
			`query($after: String) { releases(first: 1, after: $after) { nodes { tag } } }`, `{"after": null}`,
			[]string{`"nodes":[{"tag":"v19.9.1"}]`}},
		{"For the first page leave `after` out or send `null` (an empty string is not a cursor)",
			`query($after: String) { releases(first: 1, after: $after) { nodes { tag } } }`, `{"after": ""}`,
			[]string{`BAD_USER_INPUT`, `not a cursor from this API`}},
		{"On the last page `hasNextPage` is `false`; `endCursor` is `null` only on an empty page",
			`{ releases(products: ["vue"], first: 3) { pageInfo { hasNextPage endCursor } } }`, ``,
			[]string{`"pageInfo":{"hasNextPage":false,"endCursor":"AQCwlLzzDACAgr_zDAADdnVlBjMuNS4xMwd2My41LjEz"}`}},
		{"On the last page `hasNextPage` is `false`; `endCursor` is `null` only on an empty page",
			`{ releases(products: ["vue"], since: "2027-01-01T00:00:00Z") { totalCount nodes { tag } pageInfo { hasNextPage endCursor } } }`, ``,
			[]string{`{"totalCount":0,"nodes":[],"pageInfo":{"hasNextPage":false,"endCursor":null}}`}},
		{"`first: 0` asks for `totalCount` alone: no releases, `endCursor` `null`; without `after`, `hasNextPage` is `true` when anything matches",
			`{ releases(products: ["vue"], first: 0) { totalCount nodes { tag } pageInfo { hasNextPage endCursor } } }`, ``,
			[]string{`{"totalCount":3,"nodes":[],"pageInfo":{"hasNextPage":true,"endCursor":null}}`}},
		{"`first` is 0 to 100",
			`query($n: Int) { releases(first: $n) { totalCount } }`, `{"n": -1}`,
			[]string{`BAD_USER_INPUT`, `first must be between 0 and 100, got -1`}},
		{"A cursor from another order is a `BAD_USER_INPUT` error saying which `orderBy` it belongs to",
			`{ releases(orderBy: {field: VERSION}, after: "AQCwlLzzDACAgr_zDAADdnVlBjMuNS4xMwd2My41LjEz") { totalCount } }`, ``,
			[]string{`BAD_USER_INPUT`, `ordered by {field: PUBLISHED_AT, direction: DESC}, not {field: VERSION, direction: DESC}`}},
		{"every product's `key`, `name` and `releases(first: 0) { totalCount }` is about 150",
			`{ products { key name releases(first: 0, prerelease: false) { totalCount pageInfo { hasNextPage } } } }`, ``,
			[]string{`{"key":"vue","name":"Vue","releases":{"totalCount":2,"pageInfo":{"hasNextPage":true}}}`}},
		{"the same without `first: 0` over 5,000",
			`{ products { key name releases(prerelease: false) { totalCount } } }`, ``,
			[]string{`COMPLEXITY_LIMIT_EXCEEDED`, `exceeds the limit of 5000`}},
		{"nesting `product { releases(first: 100) }` inside a 100-row page is refused",
			`{ releases(first: 100) { nodes { product { releases(first: 100) { totalCount nodes { version } } } } } }`, ``,
			[]string{`COMPLEXITY_LIMIT_EXCEEDED`, `exceeds the limit of 5000`}},
		{"one failing root field of these makes `data` itself `null`, whatever the other root fields were",
			`{ products { key } releases(products: ["reactt"]) { totalCount } }`, ``,
			[]string{`BAD_USER_INPUT`, `unknown product key(s): reactt`, `"data":null`}},
		{"`ingestRuns(last:)` 1 to 100",
			`{ ingestRuns(last: 0) { id } }`, ``,
			[]string{`BAD_USER_INPUT`, `last must be between 1 and 100`}},
	} {
		if !strings.Contains(doc, tc.says) {
			t.Errorf("docs/api.md no longer says %q", tc.says)
			continue
		}
		rec := s.ask(s.h, false, tc.query, tc.vars, nil)
		body := rec.Body.String()
		if want := s.ask(s.gqlgen, false, tc.query, tc.vars, nil).Body.String(); body != want {
			t.Errorf("%s: %s\ndiffers from gqlgen's executor: %s", tc.says, body, want)
		}
		want := tc.want
		if a := decodeAnswer(t, tc.says, rec); len(a.Errors) > 0 {
			if len(want) < 2 || codeOf(t, body) != want[0] || !strings.Contains(a.Errors[0].Message, want[1]) {
				t.Errorf("%s: %s, want %q", tc.says, body, want)
				continue
			}
			want = want[2:]
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: %s, want %s in it", tc.says, body, w)
			}
		}
	}
}

// docs/api.md: "a new release never shifts the next page". A page read from
// v41 continues on v42, which added a release before the cursor (kafka
// 4.0.0) and one at the top (vue 3.5.22): neither is on the next page, which
// holds what follows the cursor; totalCount is v42's.
func TestAPIDoc_cursorOutlivesItsLakeVersion(t *testing.T) {
	doc, _ := apiDoc(t)
	if says := "a new release never shifts the next page"; !strings.Contains(strings.Join(strings.Fields(doc), " "), says) {
		t.Fatalf("docs/api.md no longer says %q", says)
	}
	s := newDocServer(t)
	s.lake.served.Store(s.lake.v41)
	q := `query($after: String) { releases(products: ["vue", "kafka"], first: 2, after: $after) { totalCount nodes { tag } pageInfo { hasNextPage endCursor } } }`
	var page struct {
		Data struct {
			Releases struct {
				TotalCount int
				Nodes      []struct{ Tag string }
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
	}
	json.Unmarshal(s.ask(s.h, true, q, "", nil).Body.Bytes(), &page)
	if r := page.Data.Releases; r.TotalCount != 3 || len(r.Nodes) != 2 || r.Nodes[1].Tag != "v3.5.13" || !r.PageInfo.HasNextPage {
		t.Fatalf("first page, v41: %+v", r)
	}
	s.lake.served.Store(s.lake.v42)
	vars, _ := json.Marshal(map[string]any{"after": page.Data.Releases.PageInfo.EndCursor})
	rec := s.ask(s.h, true, q, string(vars), nil)
	if want := `{"data":{"releases":{"totalCount":5,"nodes":[{"tag":"3.9.0"}],"pageInfo":{"hasNextPage":false,`; !strings.HasPrefix(rec.Body.String(), want) {
		t.Errorf("next page, v42: %s, want %s…", rec.Body, want)
	}
}
