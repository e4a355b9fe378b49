package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/releaselake/releaselake/serving"
)

// directQueries are query texts whose answers depend on variables in every
// way the direct path has to get right: arguments, @skip/@include, the
// operation name, complexity that varies with `first`.
var directQueries = []struct {
	name, query, op string
	direct          bool // the direct path answers whenever gqlgen answers without errors
}{
	{"releases, every argument", `query($p: [String!], $s: DateTime, $u: DateTime, $pre: Boolean, $o: ReleaseOrder, $n: Int, $after: String, $asOf: DateTime) {
		releases(products: $p, since: $s, until: $u, prerelease: $pre, orderBy: $o, first: $n, after: $after, asOf: $asOf) {
			totalCount edges { cursor node { tag product { key } } } pageInfo { hasNextPage endCursor } } }`, "", true},
	{"latest", `query($p: [String!], $asOf: DateTime) { latest(products: $p, asOf: $asOf) { version tag publishedAt product { key name } } }`, "", true},
	{"product, nested arguments", `query($k: String!, $n: Int, $s: DateTime, $asOf: DateTime) { product(key: $k) { key
		latest(asOf: $asOf) { tag } releases(first: $n, since: $s) { totalCount nodes { version name } } } }`, "", true},
	{"products search", `query($q: String) { products(search: $q) { key name source repo } }`, "", true},
	{"skip and include", `query($yes: Boolean!, $n: Int) { releases(first: $n) { totalCount @include(if: $yes)
		nodes { tag @skip(if: $yes) version ... on Release @include(if: $yes) { url } } } }`, "", true},
	{"operation name", `query A($n: Int) { releases(first: $n) { totalCount } } query B($p: [String!]) { latest(products: $p) { tag } }`, "B", true},
	{"complexity varies with first", `query($n: Int) { releases(first: $n) { nodes { product { releases(first: $n) { nodes { tag version name url } } } } } }`, "", true},
	{"literal arguments, typename", `query($p: [String!]) { __typename r: releases(first: 3, products: ["a", "c"]) { totalCount nodes { tag } } l: latest(products: $p) { tag } }`, "", true},
	{"everything skipped", `query($yes: Boolean!) { releases(first: 1) @skip(if: $yes) { totalCount } }`, "", true},
	{"a field gqlgen answers", `query($n: Int) { lake { rows } releases(first: $n) { totalCount } }`, "", false},
}

// directVars draws variables for the queries above: each a valid value (or
// absent, or null) most of the time, else a wrong type or a value the
// resolvers refuse.
func directVars(rnd *rand.Rand, cursors []string) map[string]any {
	vars := map[string]any{}
	set := func(name string, valid, bad []any) {
		vs := valid
		if rnd.IntN(8) == 0 {
			vs = bad
		}
		switch v := vs[rnd.IntN(len(vs))].(type) {
		case absentValue:
		default:
			vars[name] = v
		}
	}
	none := absentValue{}
	set("p", []any{none, nil, []string{"a"}, []string{"c", "a", "c"}, []string{"gone"}, []string{"empty", "b"}, []string{}, "b"},
		[]any{[]string{"zz", "a"}, []any{1}, []any{nil}})
	set("s", []any{none, nil, "2026-01-05T00:00:00Z", "2026-01-10T12:00:00.5+01:00"}, []any{"2026-13-01", 7})
	set("u", []any{none, nil, "2026-01-20T00:00:00Z", "2026-01-03T00:00:00Z"}, []any{"soon"})
	set("pre", []any{none, nil, true, false}, []any{"yes"})
	set("o", []any{none, nil, map[string]any{"field": "VERSION"}, map[string]any{"field": "FIRST_SEEN_AT", "direction": "ASC"},
		map[string]any{"direction": "ASC"}}, []any{map[string]any{"field": "NOPE"}, map[string]any{"field": nil}, map[string]any{"field": "version"}, map[string]any{"direction": "asc"}})
	set("n", []any{none, nil, 0, 1, 3, 7, 100}, []any{101, -1, "5", 2.5})
	set("after", []any{none, nil, cursors[rnd.IntN(len(cursors))]}, []any{"bm9wZQ", ""})
	set("asOf", []any{none, nil, "2026-01-02T00:00:00Z", "2026-03-01T00:00:00Z"}, []any{"yesterday", "2020-01-01T00:00:00Z"})
	set("k", []any{"a", "b", "gone", "nope"}, []any{none, nil, 3})
	set("q", []any{none, nil, "", "b 日", "A", "zzz", 5}, []any{[]any{"x"}, map[string]any{}})
	set("yes", []any{true, false}, []any{none, nil})
	return vars
}

type absentValue struct{}

// Many queries, many variables, POST and GET, each Accept: the handler with the
// direct path answers byte for byte (status, Content-Type, body) as gqlgen's
// executor alone, and the direct path answers every query it can.
func TestDirectPath_answersExactlyAsGqlgen(t *testing.T) {
	r := oddResolver(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	direct, hits := counting(r, Options{Log: log, CacheBytes: -1}, shortcuts{}, false)
	slow := newHandler(r, Options{Log: log, CacheBytes: -1}, shortcuts{off: true})

	var cursors []string
	for _, s := range []serving.Sort{{}, {Key: serving.ByVersion}, {Key: serving.ByFirstSeen, Asc: true}} {
		for _, rel := range oddRows()[5:9] {
			cursors = append(cursors, encodeCursor(s, &rel))
		}
	}
	type answer struct {
		status int
		ct     string
		body   []byte
	}
	ask := func(h http.Handler, get bool, accept, query, op string, vars map[string]any) answer {
		var req *http.Request
		if get {
			v, _ := json.Marshal(vars)
			q := url.Values{"query": {query}, "variables": {string(v)}}
			if op != "" {
				q.Set("operationName", op)
			}
			req = httptest.NewRequest("GET", "/graphql?"+q.Encode(), nil)
		} else {
			body, _ := json.Marshal(map[string]any{"query": query, "variables": vars, "operationName": op})
			req = httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return answer{rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()}
	}

	rnd := rand.New(rand.NewPCG(1, 2))
	for _, dq := range directQueries {
		ask(direct, false, "", dq.query, dq.op, map[string]any{"yes": true}) // gqlgen parses and keeps it
		answered, errored := 0, 0
		for i := range 300 {
			vars := directVars(rnd, cursors)
			get, accept := i%3 == 0, []string{"", "application/graphql-response+json", "*/*"}[i%4%3]
			before := hits()
			got := ask(direct, get, accept, dq.query, dq.op, vars)
			viaDirect := hits() > before
			want := ask(slow, get, accept, dq.query, dq.op, vars)
			if got.status != want.status || got.ct != want.ct || !equalAnswers(got.body, want.body) {
				t.Fatalf("%s %v: differs (direct path answered: %v):\ndirect %d %s %s\ngqlgen %d %s %s",
					dq.name, vars, viaDirect, got.status, got.ct, got.body, want.status, want.ct, want.body)
			}
			var resp struct{ Errors []json.RawMessage }
			json.Unmarshal(want.body, &resp)
			switch {
			case len(resp.Errors) > 0:
				errored++
				if viaDirect {
					t.Fatalf("%s %v: the direct path answered a request gqlgen refuses: %s", dq.name, vars, got.body)
				}
			case dq.direct && !viaDirect:
				t.Fatalf("%s %v: gqlgen answered, the direct path did not: %s", dq.name, vars, want.body)
			case !dq.direct && viaDirect:
				t.Fatalf("%s: the direct path answered a query with a field it does not write", dq.name)
			default:
				answered++
			}
		}
		t.Logf("%s: %d answered, %d errors", dq.name, answered, errored)
		if answered == 0 || (dq.direct && errored == 0) {
			t.Errorf("%s: %d answered and %d errors: the variables do not cover both", dq.name, answered, errored)
		}
	}
}

// The complexity of an operation whose `first` is a variable is priced per
// request: a cheap request answered first does not let an expensive one by.
func TestDirectPath_pricesVariableFirstPerRequest(t *testing.T) {
	q := `query($n: Int) { releases(first: $n) { nodes { product { releases(first: $n) { nodes { tag version name url } } } } } }`
	h := NewHandler(oddResolver(t), Options{CacheBytes: -1})
	for _, n := range []int{1, 1, 100, 1} {
		body, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"n": n}})
		req := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		over := bytes.Contains(rec.Body.Bytes(), []byte("COMPLEXITY_LIMIT_EXCEEDED"))
		if over != (n == 100) {
			t.Fatalf("first %d: %s", n, rec.Body.Bytes())
		}
	}
}

// A query the direct path answers is not answered by it under persisted-query
// extensions, which gqlgen checks.
func TestDirectPath_leavesPersistedQueriesToGqlgen(t *testing.T) {
	h, hits := counting(oddResolver(t), Options{CacheBytes: -1}, shortcuts{}, false)
	q := `{ releases(first: 1) { totalCount } }`
	// Without extensions the second request is answered directly; with them
	// (a hash that does not match: gqlgen refuses it) never.
	for _, ext := range []string{"", `,"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}`} {
		body := fmt.Sprintf(`{"query":%q%s}`, q, ext)
		for range 2 {
			req := httptest.NewRequest("POST", "/graphql", bytes.NewReader([]byte(body)))
			req.Header.Set("Content-Type", "application/json")
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
		if hits() != 1 {
			t.Fatalf("extensions %q: direct answers %d, want 1", ext, hits())
		}
	}
}
