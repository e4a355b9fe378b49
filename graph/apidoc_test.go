package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

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
				if op.Operation == ast.Subscription {
					continue // run over SSE by TestAPIDoc_subscriptionsRun
				}
				s.checkQuery(t, where, q, b.vars)
				if op.VariableDefinitions.ForName("after") != nil {
					maxPages = max(maxPages, s.checkPaging(t, where, q, b.vars, false))
				}
				if op.VariableDefinitions.ForName("before") != nil {
					maxPages = max(maxPages, s.checkPaging(t, where, q, b.vars, true))
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
func (s *docServer) checkPaging(t *testing.T, where, q, vars string, back bool) int {
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
				HasNextPage, HasPreviousPage bool
				EndCursor, StartCursor       *string
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
		if back {
			if !conn.PageInfo.HasPreviousPage {
				return page
			}
			v["before"] = *conn.PageInfo.StartCursor
			continue
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
	{"BAD_USER_INPUT", "`first` or `last` out of range", "GET", "query=" + url.QueryEscape(`{ releases(first: 101) { totalCount } }`), nil, nil},
	{"BAD_USER_INPUT", "a `search` over 200 characters", "POST", `{"query":"{ products(search: \"` + strings.Repeat("a ", 11) + `\") { key } }"}`, nil, nil},
	{"BAD_USER_INPUT", "a bad cursor", "POST", `{"query":"{ releases(after: \"x\") { totalCount } }"}`, nil, nil},
	{"BAD_USER_INPUT", "`DateTime`", "POST", `{"query":"query($s: DateTime) { releases(since: $s) { totalCount } }","variables":{"s":"2026-11-25T"}}`, nil, nil},
	{"BAD_USER_INPUT", "`first` or `last` out of range or together", "POST", `{"query":"{ releases(first: 1, last: 1) { totalCount } }"}`, nil, nil},
	{"BAD_USER_INPUT", "`last` out of range", "POST", `{"query":"{ releases(last: 101) { totalCount } }"}`, nil, nil},
	{"BAD_USER_INPUT", "a bad cursor, id", "POST", `{"query":"{ node(id: \"UmVsZWFzZQ\") { id } }"}`, nil, nil},
	{"BAD_USER_INPUT", "more than 100 `ids`", "POST", `{"query":"query($ids: [ID!]!) { nodes(ids: $ids) { id } }","variables":{"ids":[` + strings.Repeat(`"x",`, 100) + `"x"]}}`, nil, nil},
	{"BAD_USER_INPUT", "without exactly one of `version` and `tag`", "POST", `{"query":"{ release(product: \"react\") { id } }"}`, nil, nil},
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
	{"NOT_FOUND", "`changes` of versions with no change data", "POST", `{"query":"{ changes(since: 10) { through } }"}`, nil, nil},
	{"UNAVAILABLE", "has not loaded the lake yet", "GET", "query=" + url.QueryEscape(`{ latest { version } }`), nil,
		func(r *Resolver) { r.Index = func() *serving.Index { return nil } }},
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
	{"COMPLEXITY_LIMIT_EXCEEDED", "more than twice", "POST", `{"query":"{ a: __schema { queryType { name } } b: __schema { queryType { name } } c: __type(name: \"Release\") { name } }"}`, nil, nil},
	{"RESPONSE_TOO_LARGE", "larger than the server's cap", "POST", `{"query":"{ releases(first: 100) { nodes { tag name url } } }"}`, nil, nil},
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
		o := Options{Log: quietLog(), AdminToken: token}
		if tc.code == "RESPONSE_TOO_LARGE" {
			o.MaxResponseBytes = 200
		}
		h := NewHandler(r, o)
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
