package graph

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/graph/fastpath"
	"github.com/releaselake/releaselake/serving"
)

// served is a test server with a swappable index and counters on its effects.
type served struct {
	*httptest.Server
	ix        atomic.Pointer[serving.Index]
	hits      func() int64 // answers of the shortcuts so far
	ingests   atomic.Int64
	pushes    atomic.Int64
	runIngest func(ctx context.Context, products []string) (releaselake.Run, error)
}

func serve(t *testing.T, o Options) *served {
	t.Helper()
	s := &served{}
	s.ix.Store(serving.NewIndex(releaselake.Snapshot{Version: 1, Releases: rows(30)}))
	r := oddResolver(t)
	r.Index = s.ix.Load
	r.Runs = func(context.Context, int) ([]releaselake.Run, error) {
		return []releaselake.Run{{ID: "r1", Trigger: "schedule", Status: releaselake.RunPartial, Version: 4,
			StartedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Sources:   []releaselake.SourceStats{{Kind: "github", Requests: 2, Points: 3}, {Kind: "pypi", Requests: 5}, {Kind: "github", Points: 4}},
			Steps:     []releaselake.RunStep{{Name: "crawl", Duration: 1500 * time.Millisecond}, {Name: "send", Error: "page server down"}},
			Products:  []releaselake.RunProduct{{Product: "a", Status: "ok"}, {Product: "b", Status: "failed", Error: "404"}}}}, nil
	}
	r.RunIngest = func(ctx context.Context, products []string) (releaselake.Run, error) {
		s.ingests.Add(1)
		if s.runIngest != nil {
			return s.runIngest(ctx, products)
		}
		return releaselake.Run{ID: "r2", Trigger: "mutation", Status: releaselake.RunRunning, Version: releaselake.NoVersion}, nil
	}
	r.PushPage = func(context.Context) (releaselake.PushResult, error) {
		s.pushes.Add(1)
		return releaselake.PushResult{Version: 1, Pushed: true, Status: 200, Message: "pushed", At: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}, nil
	}
	o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	var h http.Handler
	h, s.hits = counting(r, o, shortcuts{}, true)
	s.Server = httptest.NewUnstartedServer(h)
	s.Listener = fastpath.HoldConns(s.Config, s.Listener) // as Serve has them
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// do sends a request and returns the response with its body read.
func do(t *testing.T, method, u string, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, rd)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func getURL(base, query string, vars map[string]any) string {
	v := url.Values{"query": {query}}
	if vars != nil {
		b, _ := json.Marshal(vars)
		v.Set("variables", string(b))
	}
	return base + "?" + v.Encode()
}

func codeOf(t *testing.T, body string) string {
	t.Helper()
	var r response
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	return code(r)
}

func TestHTTP_getQueryHasETagAnd304(t *testing.T) {
	s := serve(t, Options{MaxAge: 30 * time.Second})
	u := getURL(s.URL, `query($p: [String!]) { releases(products: $p, first: 5) { nodes { tag } } }`, map[string]any{"p": []string{"a"}})
	resp, body := do(t, "GET", u, "", nil)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || !strings.HasPrefix(etag, `"v1-`) || resp.Header.Get("Cache-Control") != "public, max-age=30" {
		t.Fatalf("%d ETag %q Cache-Control %q: %s", resp.StatusCode, etag, resp.Header.Get("Cache-Control"), body)
	}
	for range 3 { // executed, then answered from the response cache
		resp, body = do(t, "GET", u, "", map[string]string{"If-None-Match": etag})
		if resp.StatusCode != http.StatusNotModified || body != "" || resp.Header.Get("ETag") != etag {
			t.Fatalf("If-None-Match: %d %q", resp.StatusCode, body)
		}
	}
	if resp, _ := do(t, "GET", u, "", map[string]string{"If-None-Match": `"v0-x", ` + etag}); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match with a list: %d", resp.StatusCode)
	}
	// A new lake version: a new ETag, a full answer.
	s.ix.Store(serving.NewIndex(releaselake.Snapshot{Version: 2, Releases: rows(31)}))
	resp, body = do(t, "GET", u, "", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == etag || !strings.Contains(body, "v1.0.30") {
		t.Fatalf("after a new version: %d ETag %q %s", resp.StatusCode, resp.Header.Get("ETag"), body)
	}
}

func TestHTTP_neverIngestedLakeIsCacheableToo(t *testing.T) {
	s := serve(t, Options{})
	s.ix.Store(serving.NewIndex(releaselake.Snapshot{Version: releaselake.NoVersion}))
	resp, body := do(t, "GET", getURL(s.URL, `{ releases { totalCount } }`, nil), "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("ETag"), `"empty-`) || !strings.HasPrefix(resp.Header.Get("Cache-Control"), "public") {
		t.Fatalf("%d ETag %q Cache-Control %q %s", resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"), body)
	}
	// Before the first load: an error, never stored.
	s.ix.Store(nil)
	resp, body = do(t, "GET", getURL(s.URL, `{ releases { totalCount } }`, nil), "", nil)
	if resp.Header.Get("ETag") != "" || resp.Header.Get("Cache-Control") != "no-store" || codeOf(t, body) != "UNAVAILABLE" {
		t.Fatalf("before load: ETag %q Cache-Control %q %s", resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"), body)
	}
}

func TestHTTP_noStoreOnPostsMutationsErrorsAndVolatileAnswers(t *testing.T) {
	s := serve(t, Options{AdminToken: "sekret"})
	auth := map[string]string{"Authorization": "Bearer sekret"}
	cases := []struct {
		name, method, u, body string
		header                map[string]string
	}{
		{"POST query", "POST", s.URL, `{"query":"{ releases { totalCount } }"}`, nil},
		{"mutation", "POST", s.URL, `{"query":"mutation { pushPage { pushed } }"}`, auth},
		{"GET with an error", "GET", getURL(s.URL, `{ releases(first: 500) { totalCount } }`, nil), "", nil},
		{"GET ingest runs", "GET", getURL(s.URL, `{ ingestRuns { id } }`, nil), "", nil},
		{"GET lake", "GET", getURL(s.URL, `{ lake { version notices } }`, nil), "", nil},
	}
	for _, tc := range cases {
		resp, body := do(t, tc.method, tc.u, tc.body, tc.header)
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("ETag") != "" {
			t.Errorf("%s: Cache-Control %q ETag %q (%s)", tc.name, resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"), body)
		}
	}
}

func TestHTTP_repeatedQueryIsAnsweredFromTheCache(t *testing.T) {
	s := serve(t, Options{})
	body := `{"query":"query($p: [String!]) { releases(products: $p) { totalCount nodes { tag } } }","variables":{"p":["a"]}}`
	_, first := do(t, "POST", s.URL, body, nil)
	_, second := do(t, "POST", s.URL, body, nil) // seen twice: now kept
	n := s.hits()
	_, third := do(t, "POST", s.URL, body, nil)
	if first != second || second != third || s.hits() != n {
		t.Fatalf("third answer not from the cache (executions %d -> %d)", n, s.hits())
	}
	// Other variables, another Accept, another version: not the cached answer.
	do(t, "POST", s.URL, strings.Replace(body, `["a"]`, `["b"]`, 1), nil)
	do(t, "POST", s.URL, body, map[string]string{"Accept": "application/graphql-response+json"})
	if s.hits() != n+2 {
		t.Fatalf("executions %d, want %d", s.hits(), n+2)
	}
	s.ix.Store(serving.NewIndex(releaselake.Snapshot{Version: 2, Releases: rows(31)}))
	_, fourth := do(t, "POST", s.URL, body, nil)
	if fourth == first || !strings.Contains(fourth, `"totalCount":31`) {
		t.Fatalf("after a new version the cache answered: %s", fourth)
	}
}

func TestHTTP_limits(t *testing.T) {
	s := serve(t, Options{})
	resp, body := do(t, "POST", s.URL, `{"query":"{ __typename }","x":"`+strings.Repeat("x", MaxBodyBytes)+`"}`, nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || codeOf(t, body) != "BAD_USER_INPUT" {
		t.Errorf("big body: %d %s", resp.StatusCode, body)
	}
	deep := "{ releases { nodes { " + strings.Repeat("tag ", ParserTokens) + "} } }"
	b, _ := json.Marshal(map[string]string{"query": deep})
	if _, body := do(t, "POST", s.URL, string(b), nil); !strings.Contains(body, "token limit") {
		t.Errorf("token limit: %s", body)
	}
	resp, body = do(t, "GET", getURL(s.URL, `mutation { pushPage { pushed } }`, nil), "", nil)
	if resp.StatusCode/100 != 4 || s.pushes.Load() != 0 {
		t.Errorf("GET mutation: %d %s", resp.StatusCode, body)
	}
}

func TestHTTP_cors(t *testing.T) {
	s := serve(t, Options{CORSOrigins: []string{"https://app.example.com"}})
	preflight := func(origin string) *http.Response {
		resp, _ := do(t, "OPTIONS", s.URL, "", map[string]string{"Origin": origin,
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"})
		return resp
	}
	resp := preflight("https://app.example.com")
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Errorf("allowed preflight: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight("https://evil.example.com"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("refused preflight allowed: %v", resp.Header)
	}
	resp, _ = do(t, "GET", getURL(s.URL, `{ __typename }`, nil), "", map[string]string{"Origin": "https://app.example.com"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Etag") {
		t.Errorf("actual request: %v", resp.Header)
	}
	// No origins configured: no CORS headers at all.
	s2 := serve(t, Options{})
	resp, _ = do(t, "OPTIONS", s2.URL, "", map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS without origins: %v", resp.Header)
	}
}

func TestHTTP_answersAreValidJSONWithTheRightContentType(t *testing.T) {
	s := serve(t, Options{})
	for _, accept := range []string{"", "application/json", "application/graphql-response+json", "*/*"} {
		resp, body := do(t, "POST", s.URL, `{"query":"{ releases(first: 3) { nodes { tag } } }"}`, map[string]string{"Accept": accept})
		want := "application/json"
		if accept == "application/graphql-response+json" {
			want = accept
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), want) || !json.Valid([]byte(body)) {
			t.Errorf("Accept %q: Content-Type %q %s", accept, resp.Header.Get("Content-Type"), body)
		}
		// The second time comes from the cache: same headers.
		resp2, body2 := do(t, "POST", s.URL, `{"query":"{ releases(first: 3) { nodes { tag } } }"}`, map[string]string{"Accept": accept})
		if resp2.Header.Get("Content-Type") != resp.Header.Get("Content-Type") || body2 != body || resp2.Header.Get("Content-Length") == "" {
			t.Errorf("Accept %q cached: %v %s", accept, resp2.Header, body2)
		}
	}
}

func TestHTTP_onlyJSONPostsAreAnswered(t *testing.T) {
	s := serve(t, Options{})
	body := `{"query":"{ releases { totalCount } }"}`
	do(t, "POST", s.URL, body, nil) // now in the response cache
	for _, ct := range []string{"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		req, _ := http.NewRequest("POST", s.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType || strings.Contains(string(b), "totalCount") {
			t.Errorf("Content-Type %q: %d %s", ct, resp.StatusCode, b)
		}
	}
	if resp, _ := do(t, "POST", s.URL, body, map[string]string{"Content-Type": "Application/JSON; charset=utf-8"}); resp.StatusCode != 200 {
		t.Errorf("application/json with a charset: %d", resp.StatusCode)
	}
}

// Methods other than GET, POST and OPTIONS get 405 with the Allow header
// RFC 9110 requires, and an error with a code, even with a query in the URL.
func TestHTTP_otherMethodsAre405WithAllow(t *testing.T) {
	s := serve(t, Options{})
	u := getURL(s.URL, `{ lake { version } }`, nil)
	for _, m := range []string{"HEAD", "PUT", "DELETE", "PATCH"} {
		resp, body := do(t, m, u, `{"query":"{ lake { version } }"}`, map[string]string{"Content-Type": "application/json"})
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, POST, OPTIONS" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d Allow %q Cache-Control %q", m, resp.StatusCode, resp.Header.Get("Allow"), resp.Header.Get("Cache-Control"))
		}
		if m != "HEAD" && codeOf(t, body) != "BAD_USER_INPUT" {
			t.Errorf("%s: %s", m, body)
		}
	}
}

func TestHTTP_requestErrorsFollowGraphQLOverHTTP(t *testing.T) {
	s := serve(t, Options{})
	cases := []struct {
		name, body string
		code       string
	}{
		{"parse", `{"query":"{ releases( }"}`, "GRAPHQL_PARSE_FAILED"},
		{"validation", `{"query":"{ releases { nope } }"}`, "GRAPHQL_VALIDATION_FAILED"},
		{"variables", `{"query":"query($f: Int) { releases(first: $f) { totalCount } }","variables":{"f":"x"}}`, "GRAPHQL_VALIDATION_FAILED"},
		{"complexity", `{"query":"{ releases(first: 100) { nodes { product { releases(first: 100) { nodes { tag } } } } } }"}`, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"mutation refused", `{"query":"mutation { pushPage { pushed } }"}`, "FORBIDDEN"},
	}
	for _, tc := range cases {
		for accept, status := range map[string]int{"application/json": 200, "application/graphql-response+json": 400} {
			if tc.code == "FORBIDDEN" && status == 400 {
				status = 403
			}
			resp, body := do(t, "POST", s.URL, tc.body, map[string]string{"Accept": accept})
			var fields map[string]json.RawMessage
			json.Unmarshal([]byte(body), &fields)
			if _, hasData := fields["data"]; resp.StatusCode != status || hasData || codeOf(t, body) != tc.code {
				t.Errorf("%s, %s: %d (want %d) %s", tc.name, accept, resp.StatusCode, status, body)
			}
		}
	}
	// An error during execution keeps "data".
	if _, body := do(t, "POST", s.URL, `{"query":"{ releases(first: 500) { totalCount } }"}`, nil); !strings.Contains(body, `"data":null`) {
		t.Errorf("field error: %s", body)
	}
}

// GraphQL over HTTP: a mutation sent with GET is refused with 405 Method Not
// Allowed (and Allow, as RFC 9110 asks of a 405), whatever the Accept, and
// nothing runs.
func TestHTTP_getMutationIsMethodNotAllowed(t *testing.T) {
	s := serve(t, Options{AdminToken: "sekret"})
	u := getURL(s.URL, `mutation { pushPage { pushed } }`, nil)
	for _, accept := range []string{"application/json", "application/graphql-response+json"} {
		resp, body := do(t, "GET", u, "", map[string]string{"Accept": accept, "Authorization": "Bearer sekret"})
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d Allow %q Cache-Control %q: %s", accept, resp.StatusCode, resp.Header.Get("Allow"), resp.Header.Get("Cache-Control"), body)
		}
	}
	if s.pushes.Load() != 0 {
		t.Fatalf("a mutation sent with GET ran %d times", s.pushes.Load())
	}
}

// An asOf answer read from a version newer than the pinned index (committed,
// not loaded yet) is not what that index's ETag and cache generation stand
// for: it is neither given them nor kept. One from an older version is.
func TestHTTP_asOfNewerThanTheServedIndexIsNotCached(t *testing.T) {
	s := serve(t, Options{})
	// The served index is v1; asOf on or after 2026-01-15 reads v7, before it v3.
	u := getURL(s.URL, `{ releases(asOf: "2100-01-01T00:00:00Z") { totalCount } }`, nil)
	resp, body := do(t, "GET", u, "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != "" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("asOf read v7 while v1 is served: %d ETag %q Cache-Control %q: %s",
			resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"), body)
	}
	post := `{"query":"{ latest(asOf: \"2100-01-01T00:00:00Z\") { tag } }"}`
	for range 2 {
		do(t, "POST", s.URL, post, nil)
	}
	n := s.hits()
	do(t, "POST", s.URL, post, nil)
	if s.hits() == n {
		t.Fatal("an asOf answer from a version newer than the served one was answered from the response cache")
	}

	s.ix.Store(serving.NewIndex(releaselake.Snapshot{Version: 9, Releases: rows(3)}))
	resp, body = do(t, "GET", u, "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("ETag"), `"v9-`) {
		t.Fatalf("asOf read v7 while v9 is served: %d ETag %q: %s", resp.StatusCode, resp.Header.Get("ETag"), body)
	}
}

// The two media types of one answer are two representations, each with its
// own strong ETag: a validator of one never gets a 304 for the other.
func TestHTTP_eachMediaTypeHasItsOwnETag(t *testing.T) {
	s := serve(t, Options{MaxAge: 30 * time.Second})
	u := getURL(s.URL, `{ releases(products: ["a"], first: 2) { nodes { tag } } }`, nil)
	asJSON, _ := do(t, "GET", u, "", map[string]string{"Accept": "application/json"})
	asGQL, _ := do(t, "GET", u, "", map[string]string{"Accept": "application/graphql-response+json"})
	j, g := asJSON.Header.Get("ETag"), asGQL.Header.Get("ETag")
	if j == "" || g == "" || j == g {
		t.Fatalf("ETags %q (application/json) and %q (graphql-response+json): want two, different", j, g)
	}
	for _, tc := range []struct {
		accept, inm string
		want        int
	}{
		{"application/json", j, 304},
		{"application/graphql-response+json", g, 304},
		{"application/graphql-response+json", j, 200},
		{"application/json", g, 200},
	} {
		resp, body := do(t, "GET", u, "", map[string]string{"Accept": tc.accept, "If-None-Match": tc.inm})
		if resp.StatusCode != tc.want {
			t.Errorf("Accept %s, If-None-Match %s: %d, want %d (%s)", tc.accept, tc.inm, resp.StatusCode, tc.want, body)
		}
	}
}
