package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
)

// docRows are releases like the real ones of the products docs/api.md names:
// GitHub releases and tags, PyPI and Maven rows, prereleases, a yanked
// release, a product (emotion) with prereleases only, versions whose string
// order is not their version order (19.10.0 and 19.9.0).
func docRows() []releaselake.Release {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 17, 30, 0, 0, time.UTC) }
	gh := func(product, repo, tag, version string, at time.Time, pre bool) releaselake.Release {
		return releaselake.Release{Product: product, Tag: tag, Version: version, Name: tag, Prerelease: pre,
			URL: "https://github.com/" + repo + "/releases/tag/" + tag, Source: releaselake.SourceGitHubRelease, Repo: repo,
			DateSource: releaselake.DateReleasePublished, PublishedAt: at, FirstSeenAt: at.Add(6*time.Hour + 30*time.Minute)}
	}
	tag := func(product, repo, tag, version string, at time.Time, pre bool) releaselake.Release {
		r := gh(product, repo, tag, version, at, pre)
		r.URL, r.Source, r.DateSource = "https://github.com/"+repo+"/tree/"+tag, releaselake.SourceGitHubTag, releaselake.DateTagger
		return r
	}
	out := []releaselake.Release{
		gh("react", "facebook/react", "v18.3.1", "18.3.1", day(2024, 4, 26), false),
		gh("react", "facebook/react", "v19.0.0", "19.0.0", day(2024, 12, 5), false),
		gh("react", "facebook/react", "v19.9.0", "19.9.0", day(2025, 11, 3), false),
		gh("react", "facebook/react", "v19.10.0-rc.1", "19.10.0-rc.1", day(2026, 1, 20), true),
		gh("react", "facebook/react", "v19.10.0", "19.10.0", day(2026, 2, 10), false),
		gh("react", "facebook/react", "v19.9.1", "19.9.1", day(2026, 3, 2), false), // a backport, after 19.10.0
		gh("vue", "vuejs/core", "v3.5.13", "3.5.13", day(2024, 11, 15), false),
		gh("vue", "vuejs/core", "v3.6.0-beta.1", "3.6.0-beta.1", day(2025, 12, 1), true),
		gh("vue", "vuejs/core", "v3.5.22", "3.5.22", day(2026, 1, 1).Truncate(24*time.Hour), false), // at since of the doc's example
		tag("spark", "apache/spark", "v3.5.4", "3.5.4", day(2024, 12, 20), false),
		tag("spark", "apache/spark", "v4.0.0", "4.0.0", day(2025, 5, 23), false),
		tag("spark", "apache/spark", "v4.1.0-preview1", "4.1.0-preview1", day(2025, 9, 1), true),
		tag("kafka", "apache/kafka", "3.9.0", "3.9.0", day(2024, 11, 6), false),
		tag("kafka", "apache/kafka", "4.0.0", "4.0.0", day(2025, 3, 18), false),
		gh("emotion", "emotion-js/emotion", "@emotion/react@12.0.0-alpha.1", "12.0.0-alpha.1", day(2025, 7, 7), true),
		{Product: "spring", Tag: "6.2.1", Version: "6.2.1", Name: "6.2.1", URL: "https://repo1.maven.org/maven2/org/springframework/spring-core/6.2.1/",
			Source: releaselake.SourceMaven, Repo: "org.springframework:spring-core", DateSource: releaselake.DateUpload,
			PublishedAt: day(2024, 12, 12), FirstSeenAt: day(2024, 12, 13)},
		{Product: "pandas", Tag: "2.2.3", Version: "2.2.3", Name: "2.2.3", URL: "https://pypi.org/project/pandas/2.2.3/",
			Source: releaselake.SourcePyPI, Repo: "pandas", DateSource: releaselake.DateUpload,
			PublishedAt: day(2024, 9, 20), FirstSeenAt: day(2024, 9, 21)},
		{Product: "pandas", Tag: "2.3.0", Version: "2.3.0", Name: "2.3.0", URL: "https://pypi.org/project/pandas/2.3.0/", Yanked: true,
			Source: releaselake.SourcePyPI, Repo: "pandas", DateSource: releaselake.DateUpload,
			PublishedAt: day(2025, 6, 5), FirstSeenAt: day(2025, 6, 6)},
	}
	for i := range 230 { // enough react releases for three pages of 100
		out = append(out, gh("react", "facebook/react", fmt.Sprintf("v0.%d.0", i), fmt.Sprintf("0.%d.0", i), day(2013, 5, 29).AddDate(0, 0, 7*i), false))
	}
	return out
}

// docLake is a lake of two versions, as docs/api.md's examples need them:
// v41, its first commit, on 2026-03-01 without kafka 4.0.0 and vue 3.5.22;
// v42 (served) on 2026-04-01 with them.
type docLake struct {
	v41, v42 *releaselake.Index
	served   atomic.Pointer[releaselake.Index]
	ingests  atomic.Int64
	pushes   atomic.Int64
}

var (
	docV41Commit = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	docV42Commit = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
)

func newDocLake() *docLake {
	all := docRows()
	var older []releaselake.Release
	for _, r := range all {
		if r.Tag != "4.0.0" && r.Tag != "v3.5.22" {
			older = append(older, r)
		}
	}
	l := &docLake{
		v41: releaselake.NewIndex(releaselake.Snapshot{Version: 41, CommittedAt: docV41Commit, Releases: older}),
		v42: releaselake.NewIndex(releaselake.Snapshot{Version: 42, CommittedAt: docV42Commit, Releases: all}),
	}
	l.served.Store(l.v42)
	return l
}

// resolver is the Resolver cmd/releaselake wires, over the default catalog
// and this lake.
func (l *docLake) resolver(t testing.TB) *Resolver {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	at := docV42Commit
	return &Resolver{
		Catalog: cat,
		Index:   l.served.Load,
		Runs: func(_ context.Context, last int) ([]releaselake.Run, error) {
			runs := []releaselake.Run{{ID: "20260401T000000Z-3f9a", Trigger: "schedule", Status: releaselake.RunPartial, Version: 42,
				StartedAt: at, EndedAt: at.Add(90 * time.Second), Rows: l.v42.Rows(), Added: 2,
				Sources:  []releaselake.SourceStats{{Kind: "github", Requests: 3, Points: 3}, {Kind: "pypi", Requests: 1}},
				Products: []releaselake.RunProduct{{Product: "tableau", Status: "failed", Error: "finds no version: has its layout changed?"}}}}
			return runs[:min(last, len(runs))], nil
		},
		Notices: func() []string { return []string{"GITHUB_TOKEN is not set: GitHub products are not crawled"} },
		RunIngest: func(context.Context, []string) (releaselake.Run, error) {
			l.ingests.Add(1)
			return releaselake.Run{ID: "20261126T000000Z-0001", Trigger: "mutation", Status: releaselake.RunRunning, Version: releaselake.NoVersion}, nil
		},
		PushPage: func(context.Context) (releaselake.PushResult, error) {
			l.pushes.Add(1)
			return releaselake.PushResult{Version: 42, Pushed: true, Status: 200, Message: "stored", At: at}, nil
		},
		AsOf: func(_ context.Context, t time.Time) (*releaselake.Index, error) {
			switch {
			case t.Before(docV41Commit):
				return nil, nil
			case t.Before(docV42Commit):
				return l.v41, nil
			}
			return l.v42, nil
		},
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// docBlock is a fenced block of docs/api.md.
type docBlock struct {
	lang, text string
	line       int    // of the opening fence, for messages
	vars       string // a graphql block's variables: the json block right after it
}

// apiDoc returns docs/api.md and its fenced blocks.
func apiDoc(t *testing.T) (string, []docBlock) { return readDoc(t, "docs/api.md") }

// readDoc returns a Markdown file of the repository and its fenced blocks.
func readDoc(t *testing.T, name string) (string, []docBlock) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", name))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []docBlock
	var cur *docBlock
	var body []string
	for i, ln := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(ln, "```"):
			cur = &docBlock{lang: strings.TrimPrefix(ln, "```"), line: i + 1}
			body = nil
		case cur != nil && ln == "```":
			cur.text = strings.Join(body, "\n")
			if n := len(blocks); cur.lang == "json" && n > 0 && blocks[n-1].lang == "graphql" && blocks[n-1].line+strings.Count(blocks[n-1].text, "\n")+3 == cur.line {
				blocks[n-1].vars = cur.text
			} else {
				blocks = append(blocks, *cur)
			}
			cur = nil
		case cur != nil:
			body = append(body, ln)
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: a fence that is never closed", name, cur.line)
	}
	return string(b), blocks
}

// operations splits a block into its operations' texts: a block may list
// several anonymous ones, which one document cannot hold.
func operations(t *testing.T, b docBlock) []*ast.OperationDefinition {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: b.text})
	if err != nil {
		t.Fatalf("docs/api.md:%d: %v", b.line, err)
	}
	return doc.Operations
}

func operationText(b docBlock, ops []*ast.OperationDefinition, i int) string {
	r := []rune(b.text)
	end := len(r)
	if i+1 < len(ops) {
		end = ops[i+1].Position.Start
	}
	return strings.TrimSpace(string(r[ops[i].Position.Start:end]))
}

// docServer serves newDocLake through the handler as serve wires it, with an
// admin token, and through gqlgen's executor alone (no fast or direct path, no
// response cache) to compare with.
type docServer struct {
	lake       *docLake
	h, gqlgen  http.Handler
	adminToken string
}

func newDocServer(t *testing.T) *docServer {
	l := newDocLake()
	r := l.resolver(t)
	return &docServer{lake: l, adminToken: "sekret",
		h:      NewHandler(r, Options{Log: quietLog(), AdminToken: "sekret"}),
		gqlgen: NewHandler(r, Options{Log: quietLog(), AdminToken: "sekret", CacheBytes: -1, noFastPath: true})}
}

// ask sends one request: a GET when get, else a POST of application/json.
func (s *docServer) ask(h http.Handler, get bool, query, vars string, header map[string]string) *httptest.ResponseRecorder {
	var req *http.Request
	if get {
		v := url.Values{"query": {query}}
		if vars != "" {
			v.Set("variables", vars)
		}
		req = httptest.NewRequest("GET", "/graphql?"+v.Encode(), nil)
	} else {
		body := map[string]any{"query": query}
		if vars != "" {
			body["variables"] = json.RawMessage(vars)
		}
		b, _ := json.Marshal(body)
		req = httptest.NewRequest("POST", "/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type docAnswer struct {
	Data   map[string]any
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

func decodeAnswer(t *testing.T, where string, rec *httptest.ResponseRecorder) docAnswer {
	t.Helper()
	var a docAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("%s: not JSON (%d): %s", where, rec.Code, rec.Body)
	}
	return a
}

// Every example of docs/api.md (and README.md's) runs against the real
// handler: each query answers without errors, by POST and by GET, byte for
// byte as gqlgen's executor alone answers it (the direct and fast paths
// included); each mutation answers with the admin token and is refused
// without it, or by GET. A query that declares $after is paged to its end by
// endCursor, as the doc says to.
func TestAPIDoc_examplesRun(t *testing.T) {
	s := newDocServer(t)
	ran, maxPages := 0, 0
	for _, name := range []string{"docs/api.md", "README.md"} {
		_, blocks := readDoc(t, name)
		for _, b := range blocks {
			if b.lang != "graphql" {
				continue
			}
			if b.vars != "" && !json.Valid([]byte(b.vars)) {
				t.Errorf("%s:%d: the variables are not JSON: %s", name, b.line, b.vars)
			}
			ops := operations(t, b)
			for i, op := range ops {
				q := operationText(b, ops, i)
				where := fmt.Sprintf("%s:%d: %s", name, b.line+op.Position.Line, firstLine(q))
				ran++
				if op.Operation == ast.Mutation {
					s.checkMutation(t, where, q)
					continue
				}
				s.checkQuery(t, where, q, b.vars)
				if op.VariableDefinitions.ForName("after") != nil {
					maxPages = max(maxPages, s.checkPaging(t, where, q, b.vars))
				}
			}
		}
	}
	t.Logf("%d examples, the longest walk %d pages", ran, maxPages)
	if ran < 8 || maxPages < 3 {
		t.Fatalf("%d examples found in docs/api.md, at most %d pages walked: the doc or the test data lost its examples", ran, maxPages)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func (s *docServer) checkQuery(t *testing.T, where, q, vars string) {
	t.Helper()
	want := s.ask(s.gqlgen, false, q, vars, nil)
	for _, get := range []bool{false, true} {
		for pass := range 2 { // the second time through the direct path
			rec := s.ask(s.h, get, q, vars, nil)
			a := decodeAnswer(t, where, rec)
			if rec.Code != 200 || len(a.Errors) > 0 || a.Data == nil {
				t.Errorf("%s (GET %v): %d %s", where, get, rec.Code, rec.Body)
				return
			}
			if !bytes.Equal(rec.Body.Bytes(), want.Body.Bytes()) {
				t.Errorf("%s (GET %v, pass %d): differs from gqlgen's executor:\n got %s\nwant %s", where, get, pass, rec.Body, want.Body)
			}
		}
	}
}

func (s *docServer) checkMutation(t *testing.T, where, q string) {
	t.Helper()
	auth := map[string]string{"Authorization": "Bearer " + s.adminToken}
	if rec := s.ask(s.h, false, q, "", auth); len(decodeAnswer(t, where, rec).Errors) > 0 {
		t.Errorf("%s with the admin token: %s", where, rec.Body)
	}
	if rec := s.ask(s.h, false, q, "", nil); codeOf(t, rec.Body.String()) != "UNAUTHENTICATED" {
		t.Errorf("%s without the admin token: %s", where, rec.Body)
	}
	if rec := s.ask(s.h, true, q, "", auth); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("%s by GET: %d %s", where, rec.Code, rec.Body)
	}
}

// checkPaging follows endCursor from the first page to the last and returns
// the number of pages: every release once, endCursor the last edge's cursor,
// no next page after the last.
func (s *docServer) checkPaging(t *testing.T, where, q, vars string) int {
	t.Helper()
	v := map[string]any{}
	if vars != "" {
		json.Unmarshal([]byte(vars), &v)
	}
	seen := map[string]bool{}
	for page := 1; page <= 100; page++ {
		b, _ := json.Marshal(v)
		a := decodeAnswer(t, where, s.ask(s.h, false, q, string(b), nil))
		if len(a.Errors) > 0 {
			t.Fatalf("%s page %d: %v", where, page, a.Errors)
		}
		var conn struct {
			Edges []struct {
				Cursor string
				Node   json.RawMessage
			}
			Nodes    []json.RawMessage
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
		for _, field := range a.Data { // the example's connection
			if m, ok := field.(map[string]any); ok && m["pageInfo"] != nil {
				raw, _ := json.Marshal(field)
				json.Unmarshal(raw, &conn)
			}
		}
		keys := make([]string, len(conn.Nodes))
		for i, n := range conn.Nodes {
			keys[i] = string(n)
		}
		for _, e := range conn.Edges {
			keys = append(keys, e.Cursor)
		}
		for _, k := range keys {
			if seen[k] {
				t.Fatalf("%s: %s on two pages", where, k)
			}
			seen[k] = true
		}
		if n := len(conn.Edges); n > 0 && (conn.PageInfo.EndCursor == nil || *conn.PageInfo.EndCursor != conn.Edges[n-1].Cursor) {
			t.Fatalf("%s page %d: endCursor %v, the last edge's cursor %s", where, page, conn.PageInfo.EndCursor, conn.Edges[n-1].Cursor)
		}
		if len(keys) == 0 {
			t.Fatalf("%s page %d is empty", where, page)
		}
		if !conn.PageInfo.HasNextPage {
			return page
		}
		v["after"] = *conn.PageInfo.EndCursor
	}
	t.Fatalf("%s: more than 100 pages", where)
	return 0
}

// docErrorRow is a row of the table in docs/api.md's "Errors": its codes,
// when they happen, and the HTTP statuses under application/json and under
// application/graphql-response+json.
type docErrorRow struct {
	codes      []string
	when       string
	json, gqlr int
}

func errorTable(t *testing.T, doc string) []docErrorRow {
	t.Helper()
	_, sec, _ := strings.Cut(doc, "\n## Errors\n")
	sec, _, _ = strings.Cut(sec, "\n## ")
	row := regexp.MustCompile("(?m)^\\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \\| (.*) \\| (\\d{3}) / (\\d{3}) \\|$")
	var rows []docErrorRow
	for _, m := range row.FindAllStringSubmatch(sec, -1) {
		r := docErrorRow{when: m[2]}
		for _, c := range strings.Split(m[1], ", ") {
			r.codes = append(r.codes, strings.Trim(c, "`"))
		}
		r.json, _ = strconv.Atoi(m[3])
		r.gqlr, _ = strconv.Atoi(m[4])
		rows = append(rows, r)
	}
	if len(rows) < 5 {
		t.Fatalf("docs/api.md: %d rows found in the table of errors", len(rows))
	}
	return rows
}

// docErrorCases are requests that make each documented error, by the words
// of the table that say when (a row's "when" holds the phrase; "(415)" or
// "(400 / 400)" right after it overrides the row's statuses).
var docErrorCases = []struct {
	code, phrase string
	method, body string // a GET's query string, a POST's body
	header       map[string]string
	setup        func(*Resolver) // changes the server's resolver
}{
	{"BAD_USER_INPUT", "unknown product keys", "POST", `{"query":"{ releases(products: [\"reactt\"]) { totalCount } }"}`, nil, nil},
	{"BAD_USER_INPUT", "`first` out of range", "GET", "query=" + url.QueryEscape(`{ releases(first: 101) { totalCount } }`), nil, nil},
	{"BAD_USER_INPUT", "a bad cursor", "POST", `{"query":"{ releases(after: \"x\") { totalCount } }"}`, nil, nil},
	{"BAD_USER_INPUT", "`DateTime`", "POST", `{"query":"query($s: DateTime) { releases(since: $s) { totalCount } }","variables":{"s":"2026-11-25"}}`, nil, nil},
	{"BAD_USER_INPUT", "a non-JSON POST", "POST", `query=%7B+__typename+%7D`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, nil},
	{"BAD_USER_INPUT", "a body over 1 MiB", "POST", `{"query":"{ __typename }","variables":{"x":"` + strings.Repeat("x", MaxBodyBytes) + `"}}`, nil, nil},
	{"BAD_USER_INPUT", "`orderBy` value", "POST", `{"query":"query($o: ReleaseOrder) { releases(orderBy: $o) { totalCount } }","variables":{"o":{"field":"version"}}}`, nil, nil},
	{"BAD_USER_INPUT", "a body or GET parameter that is not JSON", "POST", `{"query":"{ __typename }",}`, nil, nil},
	{"BAD_USER_INPUT", "a body or GET parameter that is not JSON", "GET", "query=" + url.QueryEscape(`{ __typename }`) + "&variables=%7B", nil, nil},
	{"BAD_USER_INPUT", "a body or GET parameter that is not JSON", "GET", "query=" + url.QueryEscape(`{ __typename }`) + "&extensions=x", nil, nil},
	{"BAD_USER_INPUT", "a body or GET parameter that is not JSON", "GET", "query=%zz", nil, nil},
	{"BAD_USER_INPUT", "a persisted-query hash that does not match its query", "GET", "query=" + url.QueryEscape(`{ __typename }`) +
		`&extensions=` + url.QueryEscape(`{"persistedQuery":{"version":1,"sha256Hash":"`+strings.Repeat("ab", 32)+`"}}`), nil, nil},
	{"NOT_FOUND", "`asOf` before the first commit", "POST", `{"query":"{ latest(asOf: \"2020-01-01T00:00:00Z\") { version } }"}`, nil, nil},
	{"UNAVAILABLE", "has not loaded the lake yet", "GET", "query=" + url.QueryEscape(`{ latest { version } }`), nil,
		func(r *Resolver) { r.Index = func() *releaselake.Index { return nil } }},
	{"UNAVAILABLE", "a feature not configured", "POST", `{"query":"mutation { pushPage { pushed } }"}`, map[string]string{"Authorization": "Bearer sekret"},
		func(r *Resolver) { r.PushPage = nil }},
	{"UNAUTHENTICATED", "without `Authorization: Bearer <admin token>`", "POST", `{"query":"mutation { pushPage { pushed } }"}`, nil, nil},
	{"UNAUTHENTICATED", "with a wrong one", "POST", `{"query":"mutation { pushPage { pushed } }"}`, map[string]string{"Authorization": "Bearer sekreT"}, nil},
	{"FORBIDDEN", "no admin token configured", "POST", `{"query":"mutation { pushPage { pushed } }"}`, map[string]string{"Authorization": "Bearer sekret"}, nil},
	{"CONFLICT", "while a run is in progress", "POST", `{"query":"mutation { runIngest { id } }"}`, map[string]string{"Authorization": "Bearer sekret"},
		func(r *Resolver) {
			r.RunIngest = func(context.Context, []string) (releaselake.Run, error) {
				return releaselake.Run{}, releaselake.Errorf(releaselake.Conflict, "an ingest run is already in progress")
			}
		}},
	{"GRAPHQL_PARSE_FAILED", "does not parse", "POST", `{"query":"{ releases( }"}`, nil, nil},
	{"GRAPHQL_VALIDATION_FAILED", "does not fit the schema", "GET", "query=" + url.QueryEscape(`{ releases { nope } }`), nil, nil},
	{"GRAPHQL_VALIDATION_FAILED", "the request has no query", "POST", `{"qeury":"{ __typename }"}`, nil, nil},
	{"GRAPHQL_VALIDATION_FAILED", "or its variables", "POST", `{"query":"query($n: Int) { releases(first: $n) { totalCount } }","variables":{"n":"ten"}}`, nil, nil},
	{"COMPLEXITY_LIMIT_EXCEEDED", "could return too much", "POST", `{"query":"{ releases(first: 100) { nodes { product { releases(first: 100) { nodes { tag } } } } } }"}`, nil, nil},
	{"PERSISTED_QUERY_NOT_FOUND", "does not know", "GET", `extensions=` + url.QueryEscape(`{"persistedQuery":{"version":1,"sha256Hash":"`+strings.Repeat("ab", 32)+`"}}`), nil, nil},
	{"INTERNAL_SERVER_ERROR", "a broken lake", "POST", `{"query":"{ ingestRuns { id } }"}`, nil,
		func(r *Resolver) {
			r.Runs = func(context.Context, int) ([]releaselake.Run, error) {
				return nil, errors.New("open /lake/_runs: input/output error")
			}
		}},
}

// The table of errors in docs/api.md holds: each code happens when it says,
// with the statuses it gives; a request that fails before execution (4xx under
// graphql-response+json) has no "data", one that fails during it has.
func TestAPIDoc_errorTable(t *testing.T) {
	doc, _ := apiDoc(t)
	rows := errorTable(t, doc)
	tested := map[string]bool{}
	for _, tc := range docErrorCases {
		var row *docErrorRow
		for i, r := range rows {
			if slices.Contains(r.codes, tc.code) && strings.Contains(r.when, tc.phrase) {
				row = &rows[i]
			}
		}
		if row == nil {
			t.Errorf("docs/api.md: no row of %s says %q", tc.code, tc.phrase)
			continue
		}
		tested[tc.code] = true
		want := [2]int{row.json, row.gqlr}
		_, after, _ := strings.Cut(row.when, tc.phrase)
		if m := regexp.MustCompile(`^ \((\d{3})(?: / (\d{3}))?\)`).FindStringSubmatch(after); m != nil {
			want[0], _ = strconv.Atoi(m[1])
			want[1] = want[0]
			if m[2] != "" {
				want[1], _ = strconv.Atoi(m[2])
			}
		}
		l := newDocLake()
		r := l.resolver(t)
		if tc.setup != nil {
			tc.setup(r)
		}
		token := "sekret"
		if tc.code == "FORBIDDEN" {
			token = ""
		}
		h := NewHandler(r, Options{Log: quietLog(), AdminToken: token})
		for i, accept := range []string{"application/json", "application/graphql-response+json"} {
			var req *http.Request
			if tc.method == "GET" {
				req = httptest.NewRequest("GET", "/graphql?"+tc.body, nil)
			} else {
				req = httptest.NewRequest("POST", "/graphql", strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Accept", accept)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var a map[string]json.RawMessage
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
				t.Errorf("%s (%s), %s: not JSON: %d %s", tc.code, tc.phrase, accept, rec.Code, rec.Body)
				continue
			}
			_, hasData := a["data"]
			got := codeOf(t, rec.Body.String())
			if got != tc.code || rec.Code != want[i] {
				t.Errorf("%s (%s), %s: %d %s; docs/api.md says %d", tc.code, tc.phrase, accept, rec.Code, rec.Body, want[i])
			}
			if before := want[1] >= 400; hasData == before {
				t.Errorf("%s (%s), %s: data present %v, want %v: %s", tc.code, tc.phrase, accept, hasData, !before, rec.Body)
			}
			if tc.code == "INTERNAL_SERVER_ERROR" && !strings.Contains(rec.Body.String(), `"message":"internal error"`) {
				t.Errorf("an internal error shows more than \"internal error\": %s", rec.Body)
			}
		}
	}
	for _, r := range rows {
		for _, c := range r.codes {
			if !tested[c] {
				t.Errorf("docs/api.md documents %s; docErrorCases has no request that makes it", c)
			}
		}
	}
}

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
	example := quoted(t, sec, `ETag`) // the header's name, then its example
	example = quoted(t, sec, `"v`)
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
	s.lake.served.Store(releaselake.NewIndex(releaselake.Snapshot{Version: releaselake.NoVersion}))
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
			[]string{`"totalCount":248`, `"latest":[{"product":{"key":"spark"}},{"product":{"key":"kafka"}},{"product":{"key":"pandas"}},{"product":{"key":"react"}},{"product":{"key":"vue"}},{"product":{"key":"spring"}}]`}},
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
		{"in the order you asked. Products without a stable release are left out",
			`{ latest(products: ["vue", "emotion", "pandas", "react"]) { product { key } version } }`, ``,
			[]string{`[{"product":{"key":"vue"},"version":"3.5.22"},{"product":{"key":"pandas"},"version":"2.2.3"},{"product":{"key":"react"},"version":"19.10.0"}]`}},
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
		{"`first: 0` asks for `totalCount` alone: no releases, `endCursor` `null`, `hasNextPage` `true` when anything matches",
			`{ releases(products: ["vue"], first: 0) { totalCount nodes { tag } pageInfo { hasNextPage endCursor } } }`, ``,
			[]string{`{"totalCount":3,"nodes":[],"pageInfo":{"hasNextPage":true,"endCursor":null}}`}},
		{"`first` is 0 to 100",
			`query($n: Int) { releases(first: $n) { totalCount } }`, `{"n": -1}`,
			[]string{`BAD_USER_INPUT`, `first must be between 0 and 100, got -1`}},
		{"A cursor from another order is a `BAD_USER_INPUT` error saying which `orderBy` it belongs to",
			`{ releases(orderBy: {field: VERSION}, after: "AQCwlLzzDACAgr_zDAADdnVlBjMuNS4xMwd2My41LjEz") { totalCount } }`, ``,
			[]string{`BAD_USER_INPUT`, `ordered by {field: PUBLISHED_AT, direction: DESC}, not {field: VERSION, direction: DESC}`}},
		{"every product's `key`, `name` and `releases(first: 0) { totalCount }` is about 150",
			`{ products { key name releases(first: 0, prerelease: false) { totalCount } } }`, ``,
			[]string{`{"key":"vue","name":"Vue","releases":{"totalCount":2}}`}},
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
