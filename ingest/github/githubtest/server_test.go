package githubtest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// response is a GraphQL answer, decoded loosely.
type response struct {
	Data   map[string]any     `json:"data"`
	Errors []githubtest.Error `json:"errors"`
}

// post sends a GraphQL request as a plain JSON POST; token "" sends no Authorization.
func post(t *testing.T, url, token, query string, vars map[string]any) (int, response, http.Header) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out response
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	return resp.StatusCode, out, resp.Header
}

// get walks decoded JSON by keys and indexes.
func get(v any, path ...any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[p]
		case int:
			l, _ := v.([]any)
			if p >= len(l) {
				return nil
			}
			v = l[p]
		}
	}
	return v
}

type fixtureTag struct {
	Tag       string `json:"tag"`
	Date      string `json:"date"`
	Annotated bool   `json:"annotated"`
}

// fixtureTags reads shared/fixtures/github/<owner>__<repo>.jsonl by tag name.
func fixtureTags(t *testing.T, owner, repo string) map[string]fixtureTag {
	t.Helper()
	path := filepath.Join("..", "..", "..", "..", "shared", "fixtures", "github", owner+"__"+repo+".jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]fixtureTag{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ft fixtureTag
		if err := json.Unmarshal(sc.Bytes(), &ft); err != nil {
			t.Fatal(err)
		}
		out[ft.Tag] = ft
	}
	return out
}

func parseTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("not a date: %v", v)
	}
	return tm
}

func TestServer_missingOrWrongTokenIs401(t *testing.T) {
	srv := githubtest.NewServer(t)
	for _, token := range []string{"", "wrong"} {
		status, _, _ := post(t, srv.URL, token, `{ rateLimit { remaining } }`, nil)
		if status != http.StatusUnauthorized {
			t.Errorf("token %q: status %d, want 401", token, status)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || !strings.Contains(string(reqs[0].Body), `"message":"Bad credentials"`) {
		t.Errorf("requests = %+v", reqs)
	}
	if status, out, _ := post(t, srv.URL, srv.Token, `{ rateLimit { remaining } }`, nil); status != 200 || get(out.Data, "rateLimit", "remaining") == nil {
		t.Errorf("with token: %d %+v", status, out)
	}
}

const batchQuery = `
query Batch($o1: String!, $n1: String!, $o2: String!, $n2: String!) {
  rateLimit { cost remaining limit nodeCount }
  r1: repository(owner: $o1, name: $n1) { ...repo }
  r2: repository(owner: $o2, name: $n2) { ...repo }
}
fragment repo on Repository {
  nameWithOwner
  releases(first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { __typename databaseId tagName publishedAt createdAt isPrerelease isDraft tagCommit { oid committedDate } }
  }
  tags: refs(refPrefix: "refs/tags/", first: 30, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) {
    totalCount
    edges {
      cursor
      node {
        name
        target {
          __typename
          ... on Commit { committedDate }
          ... on Tag { tagger { date } target { __typename ... on Commit { committedDate } } }
        }
      }
    }
  }
}`

func TestServer_batchedQueryWithAliases(t *testing.T) {
	srv := githubtest.NewServer(t)
	status, out, hdr := post(t, srv.URL, srv.Token, batchQuery, map[string]any{
		"o1": "prometheus", "n1": "prometheus", "o2": "vuejs", "n2": "core",
	})
	if status != 200 || len(out.Errors) > 0 {
		t.Fatalf("status %d errors %+v", status, out.Errors)
	}
	if hdr.Get("X-Ratelimit-Remaining") == "" || get(out.Data, "rateLimit", "cost") != 1.0 {
		t.Errorf("rate limit: header %q, rateLimit %v", hdr.Get("X-Ratelimit-Remaining"), get(out.Data, "rateLimit"))
	}
	for alias, repo := range map[string][2]string{"r1": {"prometheus", "prometheus"}, "r2": {"vuejs", "core"}} {
		fixture := fixtureTags(t, repo[0], repo[1])
		r := get(out.Data, alias)
		if got := get(r, "nameWithOwner"); got != repo[0]+"/"+repo[1] {
			t.Errorf("%s: nameWithOwner %v", alias, got)
		}
		if n := get(r, "tags", "totalCount"); n != float64(len(fixture)) {
			t.Errorf("%s: %v tags, fixture has %d", alias, n, len(fixture))
		}
		edges, _ := get(r, "tags", "edges").([]any)
		if len(edges) != 30 {
			t.Fatalf("%s: %d tag edges", alias, len(edges))
		}
		for _, e := range edges {
			name, _ := get(e, "node", "name").(string)
			ft, ok := fixture[name]
			if !ok {
				t.Fatalf("%s: tag %s not in fixture", alias, name)
			}
			want := parseTime(t, ft.Date)
			switch typ := get(e, "node", "target", "__typename"); {
			case ft.Annotated && typ == "Tag":
				tagger := parseTime(t, get(e, "node", "target", "tagger", "date"))
				commit := parseTime(t, get(e, "node", "target", "target", "committedDate"))
				if !tagger.Equal(want) || !commit.Before(tagger) || tagger.Sub(commit) > 2*time.Hour {
					t.Errorf("%s %s: tagger %v commit %v, fixture %v", alias, name, tagger, commit, want)
				}
				if get(e, "node", "target", "target", "__typename") != "Commit" {
					t.Errorf("%s %s: tag target %v", alias, name, get(e, "node", "target", "target"))
				}
			case !ft.Annotated && typ == "Commit":
				if got := parseTime(t, get(e, "node", "target", "committedDate")); !got.Equal(want) {
					t.Errorf("%s %s: committedDate %v, fixture %v", alias, name, got, want)
				}
			default:
				t.Errorf("%s %s: target %v for annotated=%v", alias, name, typ, ft.Annotated)
			}
		}

		held, _ := srv.Repo(repo[0] + "/" + repo[1])
		if n := get(r, "releases", "totalCount"); n != float64(len(held.Releases)) || len(held.Releases) == 0 {
			t.Errorf("%s: totalCount %v, server holds %d", alias, n, len(held.Releases))
		}
		nodes, _ := get(r, "releases", "nodes").([]any)
		if len(nodes) != 20 || get(r, "releases", "pageInfo", "hasNextPage") != true {
			t.Fatalf("%s: %d releases, pageInfo %v", alias, len(nodes), get(r, "releases", "pageInfo"))
		}
		var prev time.Time
		for i, n := range nodes {
			tag, _ := get(n, "tagName").(string)
			ft := fixture[tag]
			created, published := parseTime(t, get(n, "createdAt")), parseTime(t, get(n, "publishedAt"))
			if get(n, "__typename") != "Release" || !published.Equal(parseTime(t, ft.Date).Add(time.Hour)) {
				t.Errorf("%s %s: %v, fixture date %s", alias, tag, n, ft.Date)
			}
			if i > 0 && created.After(prev) {
				t.Errorf("%s: releases not CREATED_AT DESC at %s", alias, tag)
			}
			prev = created
			if get(n, "tagCommit", "oid") == nil {
				t.Errorf("%s %s: no tagCommit", alias, tag)
			}
			if strings.HasPrefix(tag, "v0.3") {
				t.Errorf("%s: module twin %s released", alias, tag)
			}
		}
	}
}

func TestServer_unknownFieldIsRejectedLikeGitHub(t *testing.T) {
	srv := githubtest.NewServer(t, githubtest.AllowInvalid())
	query := `{ repository(owner: "vuejs", name: "core") { nameWithOwner stars } }`
	status, out, _ := post(t, srv.URL, srv.Token, query, nil)
	if status != 200 || len(out.Errors) != 1 || out.Data != nil {
		t.Fatalf("status %d, answer %+v", status, out)
	}
	e := out.Errors[0]
	if e.Message != "Field 'stars' doesn't exist on type 'Repository'" || e.Extensions["code"] != "undefinedField" || len(e.Locations) != 1 {
		t.Errorf("error = %+v", e)
	}
	rejected := srv.Rejected()
	if len(rejected) != 1 || rejected[0].Query != query {
		t.Errorf("Rejected() = %+v", rejected)
	}
}

func TestServer_paginationRule(t *testing.T) {
	for _, tc := range []struct{ name, args, wantType, wantMessage string }{
		{"missing first", `refPrefix: "refs/tags/"`, "MISSING_PAGINATION_BOUNDARIES",
			"You must provide a `first` or `last` value to properly paginate the `refs` connection."},
		{"first 101", `refPrefix: "refs/tags/", first: 101`, "EXCESSIVE_PAGINATION",
			"Requesting 101 records on the `refs` connection exceeds the `first` limit of 100 records."},
		{"last 500 by variable", `refPrefix: "refs/tags/", last: $n`, "EXCESSIVE_PAGINATION",
			"Requesting 500 records on the `refs` connection exceeds the `last` limit of 100 records."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := githubtest.NewServer(t, githubtest.AllowInvalid())
			query := `{ repository(owner: "apache", name: "kafka") { refs(` + tc.args + `) { totalCount } } }`
			var vars map[string]any
			if strings.Contains(tc.args, "$n") {
				query = "query($n: Int) " + query
				vars = map[string]any{"n": 500}
			}
			_, out, _ := post(t, srv.URL, srv.Token, query, vars)
			if len(out.Errors) != 1 || out.Errors[0].Type != tc.wantType || out.Errors[0].Message != tc.wantMessage {
				t.Errorf("errors = %+v", out.Errors)
			}
			if len(srv.Rejected()) != 1 {
				t.Errorf("not recorded as rejected")
			}
		})
	}
	t.Run("releases without first", func(t *testing.T) {
		srv := githubtest.NewServer(t, githubtest.AllowInvalid())
		_, out, _ := post(t, srv.URL, srv.Token, `{ repository(owner: "vuejs", name: "core") { releases { nodes { tagName } } } }`, nil)
		if len(out.Errors) != 1 || !strings.Contains(out.Errors[0].Message, "paginate the `releases` connection") {
			t.Errorf("errors = %+v", out.Errors)
		}
	})
}

func TestServer_rejectedQueryFailsTheTest(t *testing.T) {
	rec := &recordingTB{TB: t}
	srv := githubtest.NewServer(rec)
	post(t, srv.URL, srv.Token, `{ repository(owner: "vuejs", name: "core") { releases(first: 101) { totalCount } } }`, nil)
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "exceeds the `first` limit") {
		t.Errorf("Errorf calls = %q", rec.errors)
	}
}

type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestServer_paginatesAllKafkaTagsOnce(t *testing.T) {
	fixture := fixtureTags(t, "apache", "kafka")
	for _, order := range []string{"", `, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}`, `, orderBy: {field: ALPHABETICAL, direction: DESC}`} {
		srv := githubtest.NewServer(t)
		query := `query($after: String) {
		  repository(owner: "apache", name: "kafka") {
		    refs(refPrefix: "refs/tags/", first: 37, after: $after` + order + `) {
		      totalCount
		      pageInfo { hasNextPage endCursor }
		      nodes { name }
		    }
		  }
		}`
		seen := map[string]bool{}
		var after any
		for page := 0; ; page++ {
			if page > 20 {
				t.Fatalf("order %q: too many pages", order)
			}
			_, out, _ := post(t, srv.URL, srv.Token, query, map[string]any{"after": after})
			refs := get(out.Data, "repository", "refs")
			if n := get(refs, "totalCount"); n != float64(len(fixture)) {
				t.Fatalf("order %q: totalCount %v, fixture has %d", order, n, len(fixture))
			}
			for _, n := range get(refs, "nodes").([]any) {
				name := get(n, "name").(string)
				if seen[name] {
					t.Errorf("order %q: %s twice", order, name)
				}
				if _, ok := fixture[name]; !ok {
					t.Errorf("order %q: %s not in fixture", order, name)
				}
				seen[name] = true
			}
			if get(refs, "pageInfo", "hasNextPage") != true {
				break
			}
			after = get(refs, "pageInfo", "endCursor")
		}
		if len(seen) != len(fixture) {
			t.Errorf("order %q: %d tags paged, fixture has %d", order, len(seen), len(fixture))
		}
	}
}

func TestServer_unknownRepositoryIsNotFound(t *testing.T) {
	srv := githubtest.NewServer(t)
	_, out, _ := post(t, srv.URL, srv.Token, `{
	  known: repository(owner: "apache", name: "kafka") { nameWithOwner releases(first: 1) { totalCount } }
	  gone: repository(owner: "nobody", name: "nothing") { nameWithOwner }
	}`, nil)
	if get(out.Data, "known", "nameWithOwner") != "apache/kafka" || get(out.Data, "known", "releases", "totalCount") != 0.0 {
		t.Errorf("known = %v", get(out.Data, "known"))
	}
	if v, ok := out.Data["gone"]; !ok || v != nil {
		t.Errorf("gone = %v (present %v), want null", v, ok)
	}
	want := githubtest.Error{Type: "NOT_FOUND", Path: []any{"gone"}, Message: "Could not resolve to a Repository with the name 'nobody/nothing'."}
	if len(out.Errors) != 1 || out.Errors[0].Type != want.Type || out.Errors[0].Message != want.Message || fmt.Sprint(out.Errors[0].Path) != fmt.Sprint(want.Path) {
		t.Errorf("errors = %+v", out.Errors)
	}
	if len(srv.Rejected()) != 0 {
		t.Errorf("NOT_FOUND counted as rejected")
	}
}
