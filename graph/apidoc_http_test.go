package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// section returns the text of docs/api.md under a "## " heading.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	_, sec, ok := strings.Cut(doc, "\n## "+heading+"\n")
	if !ok {
		t.Fatalf("docs/api.md has no section %q", heading)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	return sec
}

// quoted returns the first `code span` of text that begins with prefix.
func quoted(t *testing.T, text, prefix string) string {
	t.Helper()
	m := regexp.MustCompile("`(" + regexp.QuoteMeta(prefix) + "[^`]*)`").FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("docs/api.md: no `%s…`", prefix)
	}
	return m[1]
}

// docs/api.md's "Caching" holds: the ETag's form (the lake version), its
// Cache-Control and Vary, 304 on If-None-Match, "empty-…" for a lake never
// ingested, an ETag of its own for graphql-response+json, no-store on what it
// lists, and a response cache that a new lake version empties.
func TestAPIDoc_caching(t *testing.T) {
	doc, _ := apiDoc(t)
	sec := section(t, doc, "Caching")
	example := quoted(t, sec, `"v`)
	etagForm := regexp.MustCompile(`^"v(\d+)-[0-9a-f]{8}"$`)
	if !etagForm.MatchString(example) {
		t.Fatalf("docs/api.md: the ETag example %s is not of the form %s", example, etagForm)
	}
	cacheControl := strings.TrimPrefix(quoted(t, sec, "Cache-Control: public"), "Cache-Control: ")
	vary := strings.TrimPrefix(quoted(t, sec, "Vary: "), "Vary: ")
	s := newDocServer(t)
	s.lake.served.Store(s.lake.v41)
	q := `{ latest(products: ["kafka"]) { version } }`

	rec := s.ask(s.h, true, q, "", nil)
	tag := rec.Header().Get("ETag")
	if m := etagForm.FindStringSubmatch(tag); m == nil || m[1] != "41" {
		t.Errorf("ETag %q: want the form of %s, with the lake version 41", tag, example)
	}
	if rec.Header().Get("Cache-Control") != cacheControl || rec.Header().Get("Vary") != vary {
		t.Errorf("Cache-Control %q Vary %q, docs/api.md says %q and %q", rec.Header().Get("Cache-Control"), rec.Header().Get("Vary"), cacheControl, vary)
	}
	for range 2 { // executed, then from the response cache
		if rec := s.ask(s.h, true, q, "", map[string]string{"If-None-Match": tag}); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Errorf("If-None-Match: %d %q", rec.Code, rec.Body)
		}
	}
	gql := s.ask(s.h, true, q, "", map[string]string{"Accept": "application/graphql-response+json"}).Header().Get("ETag")
	if !strings.HasSuffix(gql, `-g"`) || gql == tag {
		t.Errorf("graphql-response+json ETag %q (application/json: %q)", gql, tag)
	}

	auth := map[string]string{"Authorization": "Bearer " + s.adminToken}
	for _, tc := range []struct {
		what   string
		get    bool
		q      string
		header map[string]string
	}{
		{"ingestRuns", true, `{ ingestRuns(last: 1) { id } }`, nil},
		{"lake", true, `{ lake { version } }`, nil},
		{"answers with errors", true, `{ latest(products: ["reactt"]) { version } }`, nil},
		{"mutations", false, `mutation { pushPage { pushed } }`, auth},
		{"all `POST` answers", false, q, nil},
	} {
		if !strings.Contains(sec, tc.what) {
			t.Errorf("docs/api.md no longer lists %s as no-store", tc.what)
		}
		if rec := s.ask(s.h, tc.get, tc.q, "", tc.header); rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("ETag") != "" {
			t.Errorf("%s: Cache-Control %q ETag %q", tc.what, rec.Header().Get("Cache-Control"), rec.Header().Get("ETag"))
		}
	}

	// A new lake version: a new ETag and a new answer, not the cached one.
	before := s.ask(s.h, true, q, "", nil).Body.String()
	s.lake.served.Store(s.lake.v42)
	rec = s.ask(s.h, true, q, "", map[string]string{"If-None-Match": tag})
	if rec.Code != 200 || rec.Body.String() == before || !strings.HasPrefix(rec.Header().Get("ETag"), `"v42-`) {
		t.Errorf("after a new lake version: %d ETag %q %s", rec.Code, rec.Header().Get("ETag"), rec.Body)
	}
	empty := strings.TrimSuffix(quoted(t, sec, `"empty-`), `…"`)
	s.lake.served.Store(serving.NewIndex(releaselake.Snapshot{Version: releaselake.NoVersion}))
	if got := s.ask(s.h, true, q, "", nil).Header().Get("ETag"); !strings.HasPrefix(got, empty) {
		t.Errorf("a lake never ingested: ETag %q, want %s…", got, empty)
	}
}

// docs/api.md's "Persisted queries" holds, as its GET template says: a hash
// alone is PERSISTED_QUERY_NOT_FOUND, the same request with the query (GET
// or POST) answers, and then the hash alone does, cacheable.
func TestAPIDoc_persistedQueries(t *testing.T) {
	doc, blocks := apiDoc(t)
	sec := section(t, doc, "Persisted queries")
	var tmpl string
	for _, b := range blocks {
		if b.lang == "" && strings.Contains(sec, b.text) {
			tmpl = b.text
		}
	}
	target, ok := strings.CutPrefix(tmpl, "GET /graphql?")
	if !ok {
		t.Fatalf("docs/api.md: the persisted query template is %q", tmpl)
	}
	for i, register := range []string{"GET", "POST"} {
		q := fmt.Sprintf(`query($p: [String!]) { latest(products: $p) { version } n%d: __typename }`, i)
		sum := sha256.Sum256([]byte(q))
		params := url.Values{}
		for _, kv := range strings.Split(target, "&") {
			k, v, _ := strings.Cut(kv, "=")
			v = strings.ReplaceAll(v, "<hex sha256 of the query text>", hex.EncodeToString(sum[:]))
			v = strings.ReplaceAll(v, "{…}", `{"p":["react","vue"]}`)
			params.Set(k, v)
		}
		s := newDocServer(t)
		hashOnly := httptest.NewRequest("GET", "/graphql?"+params.Encode(), nil)
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, hashOnly)
		if codeOf(t, rec.Body.String()) != "PERSISTED_QUERY_NOT_FOUND" || rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("the hash alone, first: %d %v %s", rec.Code, rec.Header(), rec.Body)
		}
		var withQuery *http.Request
		if register == "GET" {
			params.Set("query", q)
			withQuery = httptest.NewRequest("GET", "/graphql?"+params.Encode(), nil)
			params.Del("query")
		} else {
			var ext, vars any
			json.Unmarshal([]byte(params.Get("extensions")), &ext)
			json.Unmarshal([]byte(params.Get("variables")), &vars)
			b, _ := json.Marshal(map[string]any{"query": q, "variables": vars, "extensions": ext})
			withQuery = httptest.NewRequest("POST", "/graphql", bytes.NewReader(b))
			withQuery.Header.Set("Content-Type", "application/json")
		}
		want := httptest.NewRecorder()
		s.h.ServeHTTP(want, withQuery)
		if a := decodeAnswer(t, register, want); len(a.Errors) > 0 || a.Data == nil {
			t.Fatalf("the query sent along by %s: %s", register, want.Body)
		}
		rec = httptest.NewRecorder()
		s.h.ServeHTTP(rec, httptest.NewRequest("GET", "/graphql?"+params.Encode(), nil))
		if rec.Code != 200 || rec.Body.String() != want.Body.String() || rec.Header().Get("ETag") == "" {
			t.Errorf("the hash alone after %s: %d %v %s", register, rec.Code, rec.Header(), rec.Body)
		}
	}
}

// docs/api.md's "Browsers and CORS" holds: the methods and headers it allows
// pass a preflight from a listed origin, ETag is exposed, preflights are
// cached for the minutes it says, and another origin gets no CORS headers.
func TestAPIDoc_cors(t *testing.T) {
	doc, _ := apiDoc(t)
	sec := strings.Join(strings.Fields(section(t, doc, "Browsers and CORS")), " ")
	m := regexp.MustCompile(`Allowed: (.*?); (.*?) is exposed; preflights are cached for (\d+) minutes`).FindStringSubmatch(sec)
	if m == nil {
		t.Fatalf("docs/api.md: \"Allowed: …; … is exposed; preflights are cached for N minutes\" not found in %q", sec)
	}
	var methods, headers []string
	for _, w := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(m[1], -1) {
		if w[1] == strings.ToUpper(w[1]) {
			methods = append(methods, w[1])
		} else {
			headers = append(headers, w[1])
		}
	}
	exposed := strings.Trim(m[2], "`")
	minutes, _ := strconv.Atoi(m[3])
	if len(methods) == 0 || len(headers) == 0 {
		t.Fatalf("docs/api.md allows methods %v and headers %v", methods, headers)
	}

	l := newDocLake()
	origin := "https://releases.example.com"
	h := NewHandler(l.resolver(t), Options{Log: quietLog(), CORSOrigins: []string{origin}})
	preflight := func(origin, method, header string) http.Header {
		req := httptest.NewRequest("OPTIONS", "/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		if header != "" {
			req.Header.Set("Access-Control-Request-Headers", strings.ToLower(header))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Header()
	}
	for _, method := range methods {
		for _, header := range headers {
			got := preflight(origin, method, header)
			if got.Get("Access-Control-Allow-Origin") != origin || got.Get("Access-Control-Max-Age") != strconv.Itoa(minutes*60) {
				t.Errorf("preflight of %s with %s: %v", method, header, got)
			}
		}
	}
	if got := preflight(origin, "PUT", ""); got.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of PUT allowed: %v", got)
	}
	if got := preflight("https://elsewhere.example.com", "GET", ""); got.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("an origin not listed allowed: %v", got)
	}
	req := httptest.NewRequest("GET", "/graphql?query="+url.QueryEscape(`{ latest { version } }`), nil)
	req.Header.Set("Origin", origin)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if !strings.EqualFold(rec.Header().Get("Access-Control-Expose-Headers"), exposed) || rec.Header().Get("ETag") == "" {
		t.Errorf("GET from %s: %v, want %s exposed", origin, rec.Header(), exposed)
	}
}

// The head of docs/api.md holds: POST of application/json and GET answer,
// other content types get 415, the media type of an answer is
// graphql-response+json only when Accept asks for it before application/json,
// and both DateTime inputs it shows are taken.
func TestAPIDoc_endpoint(t *testing.T) {
	doc, _ := apiDoc(t)
	head := strings.Join(strings.Fields(doc[:strings.Index(doc, "\n## ")]), " ")
	for _, says := range []string{"Other content types get `415`", "`application/graphql-response+json` when you ask for it first in `Accept`"} {
		if !strings.Contains(head, says) {
			t.Errorf("docs/api.md no longer says %q", says)
		}
	}
	s := newDocServer(t)
	q := `{ latest(products: ["vue"]) { version } }`
	for _, ct := range []string{"text/plain", "application/graphql", "application/x-www-form-urlencoded"} {
		req := httptest.NewRequest("POST", "/graphql", strings.NewReader(`{"query":"`+q+`"}`))
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnsupportedMediaType {
			t.Errorf("POST of %s: %d %s", ct, rec.Code, rec.Body)
		}
	}
	for accept, want := range map[string]string{
		"": "application/json", "application/json": "application/json", "*/*": "application/json",
		"application/json, application/graphql-response+json":             "application/json",
		"application/graphql-response+json, application/json;q=0.9":       "application/graphql-response+json",
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": "application/json", // a browser's
	} {
		for _, get := range []bool{false, true} {
			rec := s.ask(s.h, get, q, "", map[string]string{"Accept": accept})
			if rec.Code != 200 || rec.Header().Get("Content-Type") != want {
				t.Errorf("Accept %q (GET %v): %d %s", accept, get, rec.Code, rec.Header().Get("Content-Type"))
			}
		}
	}
	times := regexp.MustCompile("`(\\d{4}-[^`]+)`").FindAllStringSubmatch(head, -1)
	if len(times) < 2 {
		t.Errorf("docs/api.md shows %d DateTime inputs", len(times))
	}
	for _, m := range times {
		vars := `{"s":"` + m[1] + `"}`
		if a := decodeAnswer(t, m[1], s.ask(s.h, false, `query($s: DateTime) { releases(since: $s) { totalCount } }`, vars, nil)); len(a.Errors) > 0 {
			t.Errorf("DateTime %s: %v", m[1], a.Errors)
		}
	}
}
