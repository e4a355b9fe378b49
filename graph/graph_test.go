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
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

func testServer(t *testing.T, ix *serving.Index) *httptest.Server {
	t.Helper()
	cat, err := releaselake.NewCatalog([]releaselake.Product{
		{Key: "a", Name: "A", Kind: "github", Ref: "o/a"},
		{Key: "b", Name: "B", Kind: "pypi", Ref: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{
		Catalog: cat,
		Index:   func() *serving.Index { return ix },
		Runs:    func(context.Context, int) ([]releaselake.Run, error) { return nil, fmt.Errorf("disk on fire") },
		Notices: func() []string { return nil },
	}
	srv := httptest.NewServer(NewHandler(r, Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	return srv
}

// rows makes n releases of product a, one a day from 2026-01-01, version 1.0.i.
func rows(n int) []releaselake.Release {
	var out []releaselake.Release
	for i := range n {
		out = append(out, releaselake.Release{Product: "a", Tag: fmt.Sprintf("v1.0.%d", i), Version: fmt.Sprintf("1.0.%d", i),
			PublishedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)})
	}
	return out
}

type response struct {
	Data   map[string]json.RawMessage
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

func post(t *testing.T, srv *httptest.Server, q string, vars map[string]any) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func code(r response) string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func TestReleases_pagesCoverEverythingOnce(t *testing.T) {
	srv := testServer(t, serving.NewIndex(releaselake.Snapshot{Version: 1, Releases: rows(250)}))
	seen := map[string]bool{}
	var after any
	for pages := 0; ; pages++ {
		r := post(t, srv, `query($after: String) { releases(first: 100, after: $after) { totalCount nodes { tag } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"after": after})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		var c struct {
			TotalCount int
			Nodes      []struct{ Tag string }
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
		}
		json.Unmarshal(r.Data["releases"], &c)
		if c.TotalCount != 250 {
			t.Fatalf("totalCount %d", c.TotalCount)
		}
		for _, n := range c.Nodes {
			if seen[n.Tag] {
				t.Fatalf("%s on two pages", n.Tag)
			}
			seen[n.Tag] = true
		}
		if !c.PageInfo.HasNextPage {
			if pages != 2 || len(seen) != 250 {
				t.Fatalf("%d pages, %d rows", pages+1, len(seen))
			}
			return
		}
		after = c.PageInfo.EndCursor
	}
}

func TestReleases_badInput(t *testing.T) {
	srv := testServer(t, serving.NewIndex(releaselake.Snapshot{Version: 1, Releases: rows(3)}))
	cases := []struct {
		name, q string
		vars    map[string]any
		code    string
		msg     string
	}{
		{"first over 100", `{ releases(first: 101) { totalCount } }`, nil, "BAD_USER_INPUT", "first must be between 0 and 100"},
		{"bad cursor", `{ releases(after: "nope") { totalCount } }`, nil, "BAD_USER_INPUT", "not a cursor"},
		{"unknown product", `{ releases(products: ["a", "x"]) { totalCount } }`, nil, "BAD_USER_INPUT", "unknown product key(s): x"},
		{"bad DateTime variable", `query($s: DateTime) { releases(since: $s) { totalCount } }`, map[string]any{"s": "yesterday"}, "BAD_USER_INPUT", "RFC 3339"},
		{"bad DateTime literal", `{ releases(since: "2026-13-01") { totalCount } }`, nil, "BAD_USER_INPUT", "RFC 3339"},
		// gqlparser takes enum values of variables in any case; the enum does not.
		{"enum variable in another case", `query($o: ReleaseOrder) { releases(orderBy: $o) { totalCount } }`,
			map[string]any{"o": map[string]any{"field": "version"}}, "BAD_USER_INPUT", `"version" is not a ReleaseOrderField: PUBLISHED_AT, VERSION or FIRST_SEEN_AT`},
		{"enum direction in another case", `query($o: ReleaseOrder) { releases(orderBy: $o) { totalCount } }`,
			map[string]any{"o": map[string]any{"direction": "asc"}}, "BAD_USER_INPUT", `"asc" is not an OrderDirection: ASC or DESC`},
		{"parse error", `{ releases( }`, nil, "GRAPHQL_PARSE_FAILED", ""},
		{"unknown field", `{ releases { nope } }`, nil, "GRAPHQL_VALIDATION_FAILED", "nope"},
		{"internal error hidden", `{ ingestRuns { id } }`, nil, "INTERNAL_SERVER_ERROR", "internal error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, srv, tc.q, tc.vars)
			if len(r.Errors) == 0 {
				t.Fatalf("no error")
			}
			if tc.code != "" && code(r) != tc.code {
				t.Errorf("code %q, want %q (%s)", code(r), tc.code, r.Errors[0].Message)
			}
			if !strings.Contains(r.Errors[0].Message, tc.msg) || strings.Contains(r.Errors[0].Message, "disk on fire") {
				t.Errorf("message %q, want it to contain %q", r.Errors[0].Message, tc.msg)
			}
		})
	}
}

func TestReleases_sinceAcceptsFractionalSeconds(t *testing.T) {
	srv := testServer(t, serving.NewIndex(releaselake.Snapshot{Version: 1, Releases: rows(10)}))
	// RFC 3339 (5.6) allows "t" and "z" in lower case.
	for _, s := range []string{"2026-01-08T00:00:00Z", "2026-01-08T00:00:00.000Z", "2026-01-08T01:00:00.000+01:00", "2026-01-08t00:00:00z"} {
		r := post(t, srv, `query($s: DateTime) { releases(since: $s) { totalCount } }`, map[string]any{"s": s})
		if string(r.Data["releases"]) != `{"totalCount":3}` {
			t.Errorf("since %s: %s %v", s, r.Data["releases"], r.Errors)
		}
	}
}

func TestQuery_beforeLoadIsUnavailable(t *testing.T) {
	srv := testServer(t, nil)
	r := post(t, srv, `{ latest { version } }`, nil)
	if code(r) != "UNAVAILABLE" {
		t.Fatalf("code %q", code(r))
	}
	r = post(t, srv, `{ products { key source repo } lake { version rows notices } }`, nil)
	if len(r.Errors) > 0 || string(r.Data["lake"]) != `{"version":null,"rows":0,"notices":[]}` {
		t.Fatalf("%s %v", r.Data["lake"], r.Errors)
	}
	if string(r.Data["products"]) != `[{"key":"a","source":"github","repo":"o/a"},{"key":"b","source":"pypi","repo":"b"}]` {
		t.Fatalf("products %s", r.Data["products"])
	}
}

// A page costs 1 plus its size times what each row selects; totalCount and
// pageInfo, answered once a page, add nothing. Priced alike by gqlgen (the
// first asking) and the direct path (the second).
func TestQuery_complexityPricesRowsNotPageFields(t *testing.T) {
	srv := testServer(t, serving.NewIndex(releaselake.Snapshot{Version: 1, Releases: rows(3)}))
	page := func(fields int) string {
		var b strings.Builder
		for i := range fields {
			fmt.Fprintf(&b, " t%d: tag", i)
		}
		return `{ releases(first: 100) { totalCount pageInfo { hasNextPage endCursor } nodes {` + b.String() + ` } } }`
	}
	for range 2 {
		if r := post(t, srv, page(48), nil); len(r.Errors) != 0 { // 1 + 100×(1 + 48)
			t.Fatalf("a page of 48 fields a row (complexity 4,901 with totalCount and pageInfo free) was refused: %v", r.Errors)
		}
		r := post(t, srv, page(49), nil)
		if code(r) != "COMPLEXITY_LIMIT_EXCEEDED" || !strings.Contains(r.Errors[0].Message, "complexity 5001,") {
			t.Fatalf("a page of 49 fields a row: %q %v", code(r), r.Errors)
		}
	}
}

// A page costs at least its size even when it selects only totalCount: its
// rows are walked to find them (under a filter few rows pass, the whole
// index). Asking for none (first: 0) is what counting costs 1.
func TestQuery_complexityCountsPagesSelectingOnlyTheCount(t *testing.T) {
	srv := testServer(t, serving.NewIndex(releaselake.Snapshot{Version: 1, Releases: rows(3)}))
	aliases := func(first string) string {
		var b strings.Builder
		for i := range 60 {
			fmt.Fprintf(&b, " a%d: releases(prerelease: true%s) { totalCount pageInfo { hasNextPage } }", i, first)
		}
		return "{" + b.String() + " }"
	}
	if r := post(t, srv, aliases(""), nil); code(r) != "COMPLEXITY_LIMIT_EXCEEDED" { // 60 × (1 + 100)
		t.Errorf("60 default pages of totalCount: %q %v", code(r), r.Errors)
	}
	if r := post(t, srv, aliases(", first: 0"), nil); len(r.Errors) != 0 { // 60 × 1
		t.Errorf("60 counts (first: 0): %v", r.Errors)
	}
}

func TestQuery_complexityLimit(t *testing.T) {
	srv := testServer(t, serving.NewIndex(releaselake.Snapshot{Version: 1, Releases: rows(3)}))
	q := `{ releases(first: 100) { nodes { product { releases(first: 100) { nodes { tag } } } } } }`
	if r := post(t, srv, q, nil); code(r) != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Fatalf("code %q %v", code(r), r.Errors)
	}
}
