package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// stub is a hand-written GitHub GraphQL endpoint: answer gets each request's
// variables and which connection the query asks for ("releases" or "tags") and
// returns the HTTP status and body. It checks nothing about the query but its
// shape; the end-to-end test checks queries against GitHub's schema.
type stub struct {
	answer func(kind string, vars map[string]any) (int, string)

	mu       sync.Mutex
	requests []stubRequest
}

type stubRequest struct {
	Auth  string
	Kind  string
	Query string
	Vars  map[string]any
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	kind := kindReleases
	if strings.Contains(in.Query, "refs(") {
		kind = kindTags
	}
	s.mu.Lock()
	s.requests = append(s.requests, stubRequest{r.Header.Get("Authorization"), kind, in.Query, in.Variables})
	s.mu.Unlock()
	status, body := s.answer(kind, in.Variables)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

func (s *stub) start(t *testing.T) *Source {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return New(Config{URL: srv.URL, Token: "t0ken", HTTPClient: srv.Client(), PageSize: 2,
		Now: func() time.Time { return time.Date(2026, 11, 25, 1, 2, 3, 0, time.FixedZone("X", 3600)) }})
}

// data wraps a red line's data as a GraphQL answer, with page info.
func data(line []byte, hasNext bool, cursor string) string {
	var pg struct{ Data json.RawMessage }
	if err := json.Unmarshal(line, &pg); err != nil {
		panic(err)
	}
	info := fmt.Sprintf(`"pageInfo":{"hasNextPage":%t,"endCursor":%q}`, hasNext, cursor)
	return `{"data":` + strings.Replace(string(pg.Data), `"pageInfo":{"hasNextPage":false,"endCursor":null}`, info, 1) + `}`
}

const notFound = `{"data":{"repository":null},"errors":[{"type":"NOT_FOUND","path":["repository"],
	"locations":[{"line":1,"column":64}],"message":"Could not resolve to a Repository with the name 'pallets/nope'."}]}`

func TestSource_Fetch_pagesReleasesNewestFirst(t *testing.T) {
	s := &stub{answer: func(kind string, v map[string]any) (int, string) {
		if v["after"] == nil {
			return 200, data(releasesLine("pallets/flask", 1,
				rel(3, "3.0.0", "-", "2024-03-01T00:00:00Z", false, false),
				rel(2, "2.0.0", "-", "2024-02-01T00:00:00Z", false, false)), true, "c2")
		}
		return 200, data(releasesLine("pallets/flask", 1, rel(1, "1.0.0", "-", "2024-01-01T00:00:00Z", false, false)), false, "c3")
	}}
	src := s.start(t)
	p := releaselake.Product{Key: "flask", GitHub: "pallets/flask"}
	got := src.Fetch(context.Background(), crawls(p))
	if len(got) != 1 || got[0].Product != "flask" || got[0].Err != nil {
		t.Fatalf("Fetch = %+v", got)
	}
	if len(got[0].Raw) != 2 {
		t.Fatalf("%d raw pages, want 2", len(got[0].Raw))
	}
	for i, line := range got[0].Raw {
		if strings.Contains(string(line), "\n") {
			t.Errorf("raw page %d spans lines", i+1)
		}
		var pg rawPage
		if err := json.Unmarshal(line, &pg); err != nil {
			t.Fatal(err)
		}
		want := rawPage{Repo: "pallets/flask", Kind: kindReleases, Page: i + 1, FetchedAt: time.Date(2026, 11, 25, 0, 2, 3, 0, time.UTC)}
		if pg.Repo != want.Repo || pg.Kind != want.Kind || pg.Page != want.Page || !pg.FetchedAt.Equal(want.FetchedAt) {
			t.Errorf("raw page %d = %s", i+1, line)
		}
	}

	reqs := s.requests
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (no tags once releases exist)", len(reqs))
	}
	for i, r := range reqs {
		if r.Auth != "bearer t0ken" {
			t.Errorf("request %d: Authorization %q", i+1, r.Auth)
		}
		if r.Vars["owner"] != "pallets" || r.Vars["name"] != "flask" || r.Vars["first"] != 2.0 {
			t.Errorf("request %d: variables %v", i+1, r.Vars)
		}
	}
	if reqs[1].Vars["after"] != "c2" {
		t.Errorf("second page after %v, want c2", reqs[1].Vars["after"])
	}

	parsed, err := src.Parse(p, got[0].Raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, r := range parsed.Releases {
		tags = append(tags, r.Tag)
	}
	if strings.Join(tags, " ") != "3.0.0 2.0.0 1.0.0" {
		t.Errorf("rows %v", tags)
	}
}

func TestSource_Fetch_whichConnections(t *testing.T) {
	drafts := releasesLine("apache/kafka", 1, rel(1, "4.0.0", "-", "", false, true))
	tags := tagsLine("apache/kafka", 1, lightweight("3.8.0", "2024-07-20T00:00:00Z"))
	tests := []struct {
		name    string
		product releaselake.Product
		want    []string // kinds of the requests, in order
	}{
		{"only drafts: releases then tags", releaselake.Product{Key: "kafka", GitHub: "apache/kafka"}, []string{kindReleases, kindTags}},
		{"tags: true asks for tags only", releaselake.Product{Key: "kafka", GitHub: "apache/kafka", Tags: true}, []string{kindTags}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &stub{answer: func(kind string, _ map[string]any) (int, string) {
				if kind == kindTags {
					return 200, data(tags, false, "")
				}
				return 200, data(drafts, false, "")
			}}
			src := s.start(t)
			got := src.Fetch(context.Background(), crawls(tt.product))[0]
			if got.Err != nil {
				t.Fatal(got.Err)
			}
			var kinds []string
			for _, r := range s.requests {
				kinds = append(kinds, r.Kind)
			}
			if strings.Join(kinds, " ") != strings.Join(tt.want, " ") || len(got.Raw) != len(tt.want) {
				t.Fatalf("requests %v, %d raw pages; want %v", kinds, len(got.Raw), tt.want)
			}
			parsed, err := src.Parse(tt.product, got.Raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(parsed.Releases) != 1 || parsed.Releases[0].Tag != "3.8.0" || parsed.Releases[0].Source != releaselake.SourceGitHubTag {
				t.Errorf("rows %+v", parsed.Releases)
			}
		})
	}
}

func TestSource_Fetch_productErrors(t *testing.T) {
	ok := data(releasesLine("pallets/flask", 1, rel(1, "1.0.0", "-", "2024-01-01T00:00:00Z", false, false)), false, "")
	tests := []struct {
		name   string
		status int
		body   string
		class  releaselake.Class
		msg    string
	}{
		{"missing repository", 200, notFound, releaselake.NotFound, "github repository pallets/nope not found"},
		{"server error", 502, `{"message":"Bad gateway"}`, releaselake.Unavailable, "github pallets/nope: releases page 1"},
		{"token refused", 401, `{"message":"Bad credentials"}`, releaselake.Unauthorized, "github pallets/nope: releases page 1: token refused"},
		{"other GraphQL error", 200, `{"data":null,"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}`,
			releaselake.Unavailable, "github pallets/nope: releases page 1"},
		{"null repository without an error", 200, `{"data":{"repository":null}}`,
			releaselake.Unavailable, "github pallets/nope: releases page 1: no repository in the answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &stub{answer: func(_ string, v map[string]any) (int, string) {
				if v["name"] == "nope" {
					return tt.status, tt.body
				}
				return 200, ok
			}}
			src := s.start(t)
			got := src.Fetch(context.Background(), crawls(
				releaselake.Product{Key: "nope", GitHub: "pallets/nope"},
				releaselake.Product{Key: "flask", GitHub: "pallets/flask"},
			))
			if err := got[0].Err; err == nil || releaselake.ClassOf(err) != tt.class || releaselake.MessageOf(err) != tt.msg {
				t.Errorf("error %v (class %s, message %q), want class %s, message %q",
					err, releaselake.ClassOf(err), releaselake.MessageOf(err), tt.class, tt.msg)
			}
			if got[0].Raw != nil {
				t.Errorf("failed product has %d raw pages", len(got[0].Raw))
			}
			if got[1].Product != "flask" || got[1].Err != nil || len(got[1].Raw) != 1 {
				t.Errorf("the next product: %+v", got[1])
			}
		})
	}
}

func TestSource_Fetch_unreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	src := New(Config{URL: srv.URL, Token: "t"})
	got := src.Fetch(context.Background(), crawls(releaselake.Product{Key: "flask", GitHub: "pallets/flask"}))
	if err := got[0].Err; releaselake.ClassOf(err) != releaselake.Unavailable {
		t.Errorf("error %v, want class Unavailable", err)
	}
}

func TestSource_Fetch_invalidRepository(t *testing.T) {
	got := New(Config{URL: "http://127.0.0.1:1"}).Fetch(context.Background(), crawls(releaselake.Product{Key: "x", GitHub: "just-a-name"}))
	if err := got[0].Err; releaselake.ClassOf(err) != releaselake.Invalid {
		t.Errorf("error %v, want class Invalid", err)
	}
}

func TestSource_Fetch_stopsWhenContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &stub{}
	s.answer = func(string, map[string]any) (int, string) {
		cancel() // the first answer arrives after the run was cancelled
		return 200, data(releasesLine("pallets/flask", 1, rel(1, "1.0.0", "-", "2024-01-01T00:00:00Z", false, false)), true, "c1")
	}
	src := s.start(t)
	got := src.Fetch(ctx, crawls(releaselake.Product{Key: "flask", GitHub: "pallets/flask"}, releaselake.Product{Key: "django", GitHub: "django/django"}))
	for _, f := range got {
		if !errors.Is(f.Err, context.Canceled) {
			t.Errorf("%s: error %v, want context.Canceled", f.Product, f.Err)
		}
	}
	if len(s.requests) != 1 {
		t.Errorf("%d requests after cancel, want 1", len(s.requests))
	}
}

// The tests below run Fetch and Parse against githubtest, a fake GitHub that checks
// every query against GitHub's published schema and serves the real tag fixtures.

func newFakeSource(t *testing.T, pageSize int) (*githubtest.Server, *Source) {
	t.Helper()
	srv := githubtest.NewServer(t)
	// No HTTPClient: the token must come from Source's own transport.
	return srv, New(Config{URL: srv.URL, Token: srv.Token, PageSize: pageSize})
}

func TestSource_FetchParse_tagsOnlyRepository(t *testing.T) {
	srv, src := newFakeSource(t, 40)
	kafka := releaselake.Product{Key: "kafka", GitHub: "apache/kafka",
		TagPattern: regexp.MustCompile(`^(\d+\.\d+\.\d+(?:\.\d+)?)$`)} // the catalog's, without tags: true
	got := src.Fetch(context.Background(), crawls(kafka))[0]
	if got.Err != nil {
		t.Fatal(got.Err)
	}
	parsed, err := src.Parse(kafka, got.Raw, nil)
	if err != nil {
		t.Fatal(err)
	}

	fixture, _ := srv.Repo("apache/kafka")
	want := map[string]githubtest.Tag{}
	for _, tag := range fixture.Tags {
		if _, ok := releaselake.VersionFromTag(tag.Name, kafka.TagPattern); ok {
			want[tag.Name] = tag
		}
	}
	if len(want) < 50 {
		t.Fatalf("fixture has only %d kafka versions; is it the right fixture?", len(want))
	}
	if len(parsed.Releases) != len(want) || parsed.Ignored != len(fixture.Tags)-len(want) {
		t.Errorf("%d rows, %d ignored; want %d rows, %d ignored",
			len(parsed.Releases), parsed.Ignored, len(want), len(fixture.Tags)-len(want))
	}
	for _, r := range parsed.Releases {
		tag, ok := want[r.Tag]
		if !ok {
			t.Errorf("row for %q, not a version of the fixture", r.Tag)
			continue
		}
		dateSource := releaselake.DateCommit
		if tag.Annotated {
			dateSource = releaselake.DateTagger
		}
		if r.Product != "kafka" || r.Version != r.Tag || r.Source != releaselake.SourceGitHubTag || r.Repo != "apache/kafka" ||
			r.DateSource != dateSource || !r.PublishedAt.Equal(tag.Date) || r.PublishedAt.Location() != time.UTC ||
			r.URL != "https://github.com/apache/kafka/releases/tag/"+r.Tag || r.Prerelease {
			t.Errorf("row %+v; fixture %+v", r, tag)
		}
	}

	// Releases (none) once, then every page of tags.
	reqs := srv.Requests()
	pages := (len(fixture.Tags) + 39) / 40
	if len(reqs) != 1+pages || len(got.Raw) != 1+pages {
		t.Errorf("%d requests, %d raw pages; want 1 + %d", len(reqs), len(got.Raw), pages)
	}
	if !strings.Contains(reqs[0].Query, "releases(") || !strings.Contains(reqs[1].Query, "refs(") {
		t.Errorf("first queries:\n%s\n%s", reqs[0].Query, reqs[1].Query)
	}
}

func TestSource_FetchParse_releases(t *testing.T) {
	tests := []struct {
		product releaselake.Product
	}{
		{releaselake.Product{Key: "flask", GitHub: "pallets/flask"}},
		{releaselake.Product{Key: "mobx", GitHub: "mobxjs/mobx", // a monorepo: its catalog pattern
			TagPattern: regexp.MustCompile(`^(?:mobx@)?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)$`)}},
	}
	for _, tt := range tests {
		t.Run(tt.product.Key, func(t *testing.T) {
			srv, src := newFakeSource(t, 0)
			p := tt.product
			got := src.Fetch(context.Background(), crawls(p))[0]
			if got.Err != nil {
				t.Fatal(got.Err)
			}
			parsed, err := src.Parse(p, got.Raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range srv.Requests() {
				if strings.Contains(r.Query, "refs(") {
					t.Errorf("asked for tags of a repository that publishes releases")
				}
			}

			fixture, _ := srv.Repo(p.GitHub)
			want := map[string]githubtest.Release{}
			for _, rel := range fixture.Releases {
				if _, ok := releaselake.VersionFromTag(rel.TagName, p.TagPattern); ok && !rel.IsDraft {
					want[rel.TagName] = rel
				}
			}
			if len(want) == 0 || len(parsed.Releases) != len(want) || parsed.Ignored != len(fixture.Releases)-len(want) {
				t.Errorf("%d rows, %d ignored; want %d rows of %d releases", len(parsed.Releases), parsed.Ignored, len(want), len(fixture.Releases))
			}
			mislabeled := 0
			for _, r := range parsed.Releases {
				rel, ok := want[r.Tag]
				if !ok {
					t.Errorf("row for %q, not a release of the fixture", r.Tag)
					continue
				}
				if rel.Mislabeled {
					mislabeled++
				}
				if r.Product != p.Key || r.Source != releaselake.SourceGitHubRelease || r.Repo != p.GitHub ||
					r.DateSource != releaselake.DateReleasePublished || !r.PublishedAt.Equal(rel.PublishedAt) ||
					r.Name != rel.TagName || !strings.HasPrefix(r.URL, "https://github.com/"+p.GitHub+"/releases/tag/") ||
					r.Prerelease != (rel.IsPrerelease || releaselake.IsPrerelease(r.Version)) || (rel.Mislabeled && !r.Prerelease) {
					t.Errorf("row %+v; fixture %+v", r, rel)
				}
			}
			t.Logf("%d rows, %d ignored, %d mislabeled prereleases corrected", len(parsed.Releases), parsed.Ignored, mislabeled)
		})
	}
}

func TestSource_Fetch_unknownRepositoryFailsAlone(t *testing.T) {
	_, src := newFakeSource(t, 0)
	got := src.Fetch(context.Background(), crawls(
		releaselake.Product{Key: "flask", GitHub: "pallets/flask"},
		releaselake.Product{Key: "nope", GitHub: "pallets/no-such-repo"},
		releaselake.Product{Key: "seaborn", GitHub: "mwaskom/seaborn"},
	))
	if err := got[1].Err; releaselake.ClassOf(err) != releaselake.NotFound || !strings.Contains(releaselake.MessageOf(err), "pallets/no-such-repo") {
		t.Errorf("unknown repository: %v", err)
	}
	for _, i := range []int{0, 2} {
		if got[i].Err != nil || len(got[i].Raw) == 0 {
			t.Errorf("%s: %d raw pages, error %v", got[i].Product, len(got[i].Raw), got[i].Err)
		}
	}
}

// crawls makes first crawls (nothing known yet) of products.
func crawls(ps ...releaselake.Product) []releaselake.Crawl {
	out := make([]releaselake.Crawl, len(ps))
	for i, p := range ps {
		out[i] = releaselake.Crawl{Product: p}
	}
	return out
}
