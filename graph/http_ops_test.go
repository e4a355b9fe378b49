package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
)

// Mutations and queries through the HTTP handler (serve, in http_test.go).

func TestMutations_needTheAdminToken(t *testing.T) {
	s := serve(t, Options{AdminToken: "sekret"})
	none := serve(t, Options{})
	mutations := []string{`mutation { runIngest(products: ["nope"]) { id } }`, `mutation { pushPage { pushed } }`,
		// The token is checked before anything else: validation, variables, limits.
		`mutation { runIngest { nosuchfield } }`,
		`mutation M($p: [String!]!) { runIngest(products: $p) { id } }`,
		`query Q { lake { rows } } mutation M { pushPage { pushed } }`}
	cases := []struct {
		name   string
		srv    *served
		header map[string]string
		code   string
		status int // with Accept: application/graphql-response+json
	}{
		{"no header", s, nil, "UNAUTHENTICATED", 401},
		{"wrong token", s, map[string]string{"Authorization": "Bearer sekreT"}, "UNAUTHENTICATED", 401},
		{"longer token", s, map[string]string{"Authorization": "Bearer sekret2"}, "UNAUTHENTICATED", 401},
		{"not bearer", s, map[string]string{"Authorization": "Basic c2VrcmV0"}, "UNAUTHENTICATED", 401},
		{"no token configured", none, map[string]string{"Authorization": "Bearer sekret"}, "FORBIDDEN", 403},
	}
	for _, tc := range cases {
		for _, m := range mutations {
			params := map[string]string{"query": m}
			if strings.HasPrefix(m, "query Q") {
				params["operationName"] = "M"
			}
			b, _ := json.Marshal(params)
			resp, body := do(t, "POST", tc.srv.URL, string(b), tc.header)
			if resp.StatusCode != 200 || codeOf(t, body) != tc.code {
				t.Errorf("%s %s: %d %s", tc.name, m, resp.StatusCode, body)
			}
			h := map[string]string{"Accept": "application/graphql-response+json"}
			for k, v := range tc.header {
				h[k] = v
			}
			if resp, body := do(t, "POST", tc.srv.URL, string(b), h); resp.StatusCode != tc.status || codeOf(t, body) != tc.code {
				t.Errorf("%s %s (graphql-response+json): %d %s", tc.name, m, resp.StatusCode, body)
			}
		}
		if tc.srv.ingests.Load()+tc.srv.pushes.Load() != 0 {
			t.Fatalf("%s: a refused mutation ran", tc.name)
		}
	}

	auth := map[string]string{"Authorization": "bearer sekret"}
	_, body := do(t, "POST", s.URL, `{"query":"mutation { runIngest(products: [\"a\"]) { id status trigger version } }"}`, auth)
	if !strings.Contains(body, `{"runIngest":{"id":"r2","status":"running","trigger":"mutation","version":null}}`) {
		t.Errorf("runIngest: %s", body)
	}
	// The same text again without the token: gqlgen has it parsed now, and
	// the check reads it from its cache.
	before := s.ingests.Load()
	if _, body := do(t, "POST", s.URL, `{"query":"mutation { runIngest(products: [\"a\"]) { id status trigger version } }"}`, nil); codeOf(t, body) != "UNAUTHENTICATED" || s.ingests.Load() != before {
		t.Errorf("a mutation gqlgen has parsed before, without the token: %s (%d ingests)", body, s.ingests.Load()-before)
	}
	_, body = do(t, "POST", s.URL, `{"query":"mutation { runIngest(products: [\"nope\", \"a\"]) { id } }"}`, auth)
	if codeOf(t, body) != "BAD_USER_INPUT" || !strings.Contains(body, "unknown product key(s): nope") {
		t.Errorf("runIngest unknown product: %s", body)
	}
	s.runIngest = func(context.Context, []string) (releaselake.Run, error) {
		return releaselake.Run{}, releaselake.Errorf(releaselake.Conflict, "an ingest run is already in progress")
	}
	if _, body = do(t, "POST", s.URL, `{"query":"mutation { runIngest { id } }"}`, auth); codeOf(t, body) != "CONFLICT" {
		t.Errorf("runIngest while running: %s", body)
	}
	_, body = do(t, "POST", s.URL, `{"query":"mutation { pushPage { version pushed status message at } }"}`, auth)
	if !strings.Contains(body, `{"pushPage":{"version":1,"pushed":true,"status":200,"message":"pushed","at":"2026-01-02T00:00:00Z"}}`) {
		t.Errorf("pushPage: %s", body)
	}
}

func TestMutations_unavailableWhenNotWired(t *testing.T) {
	r := oddResolver(t)
	srv := httptest.NewServer(NewHandler(r, Options{AdminToken: "t", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	for _, m := range []string{`mutation { runIngest { id } }`, `mutation { pushPage { pushed } }`} {
		b, _ := json.Marshal(map[string]string{"query": m})
		if _, body := do(t, "POST", srv.URL, string(b), map[string]string{"Authorization": "Bearer t"}); codeOf(t, body) != "UNAVAILABLE" {
			t.Errorf("%s: %s", m, body)
		}
	}
}

func TestQuery_ingestRunsAndLake(t *testing.T) {
	s := serve(t, Options{})
	_, body := do(t, "POST", s.URL, `{"query":"{ ingestRuns(last: 1) { id status version githubPoints sources { kind requests points rateResetAt } steps { name durationMs error } failures { product status message } error } lake { version rows notices } }"}`, nil)
	want := `{"data":{"ingestRuns":[{"id":"r1","status":"partial","version":4,"githubPoints":7,` +
		`"sources":[{"kind":"github","requests":2,"points":3,"rateResetAt":null},{"kind":"pypi","requests":5,"points":0,"rateResetAt":null},{"kind":"github","requests":0,"points":4,"rateResetAt":null}],` +
		`"steps":[{"name":"crawl","durationMs":1500,"error":null},{"name":"send","durationMs":0,"error":"page server down"}],` +
		`"failures":[{"product":"b","status":"failed","message":"404"}],"error":null}],"lake":{"version":1,"rows":30,"notices":[]}}}`
	if body != want {
		t.Fatalf("got  %s\nwant %s", body, want)
	}
}

func TestQuery_cursorMisuse(t *testing.T) {
	s := serve(t, Options{})
	_, body := do(t, "POST", s.URL, `{"query":"{ releases(first: 2, orderBy: {field: VERSION}) { pageInfo { endCursor } } }"}`, nil)
	var r struct {
		Data struct {
			Releases struct{ PageInfo struct{ EndCursor string } }
		}
	}
	json.Unmarshal([]byte(body), &r)
	cur := r.Data.Releases.PageInfo.EndCursor
	b, _ := json.Marshal(map[string]any{"query": `query($c: String) { releases(after: $c) { totalCount } }`, "variables": map[string]any{"c": cur}})
	if _, body := do(t, "POST", s.URL, string(b), nil); codeOf(t, body) != "BAD_USER_INPUT" || !strings.Contains(body, "orderBy") {
		t.Errorf("cursor of another order: %s", body)
	}
	for _, bad := range []string{cur[:len(cur)-3], cur + "A", "", "!!!", strings.Repeat("A", 500)} {
		b, _ := json.Marshal(map[string]any{"query": `query($c: String) { releases(after: $c, orderBy: {field: VERSION}) { totalCount } }`, "variables": map[string]any{"c": bad}})
		if _, body := do(t, "POST", s.URL, string(b), nil); codeOf(t, body) != "BAD_USER_INPUT" || !strings.Contains(body, "not a cursor") {
			t.Errorf("cursor %q: %s", bad, body)
		}
	}
}

func TestQuery_asOfUnavailableWhenNotWired(t *testing.T) {
	r := oddResolver(t)
	r.AsOf = nil
	srv := httptest.NewServer(NewHandler(r, Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	_, body := do(t, "POST", srv.URL, `{"query":"{ releases(asOf: \"2026-01-01T00:00:00Z\") { totalCount } }"}`, nil)
	if codeOf(t, body) != "UNAVAILABLE" {
		t.Errorf("asOf: %s", body)
	}
}

func TestQuery_persistedQueries(t *testing.T) {
	s := serve(t, Options{})
	q := `{ releases(first: 1) { totalCount } }`
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	hashOnly, _ := json.Marshal(map[string]any{"extensions": ext})
	if _, body := do(t, "POST", s.URL, string(hashOnly), nil); codeOf(t, body) != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unknown hash: %s", body)
	}
	full, _ := json.Marshal(map[string]any{"query": q, "extensions": ext})
	if _, body := do(t, "POST", s.URL, string(full), nil); body != `{"data":{"releases":{"totalCount":30}}}` {
		t.Fatalf("register: %s", body)
	}
	e, _ := json.Marshal(ext)
	u := s.URL + "?" + url.Values{"extensions": {string(e)}}.Encode()
	resp, body := do(t, "GET", u, "", nil)
	if body != `{"data":{"releases":{"totalCount":30}}}` || resp.Header.Get("ETag") == "" {
		t.Fatalf("GET by hash: %s %v", body, resp.Header)
	}
}

func TestQuery_introspection(t *testing.T) {
	s := serve(t, Options{})
	_, body := do(t, "POST", s.URL, `{"query":"{ __schema { queryType { name } mutationType { name } } __type(name: \"ReleaseOrderField\") { enumValues { name } } }"}`, nil)
	if !strings.Contains(body, `"mutationType":{"name":"Mutation"}`) || !strings.Contains(body, `{"name":"FIRST_SEEN_AT"}`) {
		t.Fatal(body)
	}
}

func TestQuery_productsSearch(t *testing.T) {
	s := serve(t, Options{})
	_, body := do(t, "POST", s.URL, `{"query":"{ products(search: \"scope\") { key } all: products { key } }"}`, nil)
	if body != `{"data":{"products":[{"key":"c"}],"all":[{"key":"a"},{"key":"b"},{"key":"c"},{"key":"empty"}]}}` {
		t.Fatal(body)
	}
}
