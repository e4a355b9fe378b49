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
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	sourcekinds "github.com/releaselake/releaselake/ingest/sources"
	"github.com/releaselake/releaselake/serving"
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
	v41, v42 *serving.Index
	served   atomic.Pointer[serving.Index]
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
		v41: serving.NewIndex(releaselake.Snapshot{Version: 41, CommittedAt: docV41Commit, Releases: older}),
		v42: serving.NewIndex(releaselake.Snapshot{Version: 42, CommittedAt: docV42Commit, Releases: all}),
	}
	adv := docAdvisories()
	l.v41.SetAdvisories(adv)
	l.v42.SetAdvisories(adv)
	l.served.Store(l.v42)
	return l
}

// resolver is the Resolver cmd/releaselake wires, over the default catalog
// and this lake.
func (l *docLake) resolver(t testing.TB) *Resolver {
	cat, err := catalog.Default(sourcekinds.Kinds)
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
		AsOf: func(_ context.Context, t time.Time) (*serving.Index, error) {
			switch {
			case t.Before(docV41Commit):
				return nil, nil
			case t.Before(docV42Commit):
				return l.v41, nil
			}
			return l.v42, nil
		},
		Health:      func() releaselake.Health { return docHealth },
		StaleWindow: releaselake.StaleWindow(24 * time.Hour),
		Now:         func() time.Time { return docV42Commit.Add(time.Hour) },
		ChangeFeed:  docChanges{l},
		VersionAsOf: func(_ context.Context, t time.Time) (int64, error) {
			switch {
			case t.Before(docV41Commit):
				return releaselake.NoVersion, nil
			case t.Before(docV42Commit):
				return 41, nil
			}
			return 42, nil
		},
	}
}

// docChanges is the change feed of the doc lake: v42 added kafka 4.0.0 and
// vue 3.5.22 to v41 (derived from the two versions' rows); the versions
// before 41 were committed before the change feed.
type docChanges struct{ l *docLake }

func (d docChanges) Changes(_ context.Context, from, to int64, _ int) ([]releaselake.ChangeSet, error) {
	if from < 41 || to > 42 || from > to {
		return nil, releaselake.Errorf(releaselake.NotFound, "the doc lake has the changes of versions 41 and 42 only")
	}
	var out []releaselake.ChangeSet
	for v := from; v <= to; v++ {
		set := releaselake.ChangeSet{Version: v, CommittedAt: docV41Commit}
		if v == 42 {
			set.CommittedAt = docV42Commit
			for _, r := range docRows() { // kafka before vue: sorted by (product, tag)
				if r.Tag == "4.0.0" {
					set.Changes = append([]releaselake.Change{{After: &r}}, set.Changes...)
				} else if r.Tag == "v3.5.22" {
					set.Changes = append(set.Changes, releaselake.Change{After: &r})
				}
			}
		}
		out = append(out, set)
	}
	return out, nil
}

// docHealth: react fetched by the v42 run; tableau failing since 2026-03-25,
// last fetched on 2026-03-20 (stale); the rest never tried.
var docHealth = releaselake.Health{Run: "20260401T000000Z-3f9a", UpdatedAt: docV42Commit, Products: map[string]releaselake.ProductHealth{
	"react": {LastSuccessAt: docV42Commit},
	"tableau": {LastSuccessAt: time.Date(2026, 3, 20, 0, 1, 30, 0, time.UTC), LastErrorAt: docV42Commit,
		FailingSince: time.Date(2026, 3, 25, 0, 1, 30, 0, time.UTC), LastError: "page https://www.tableau.com/support/releases: GET https://www.tableau.com/support/releases: HTTP 500 Internal Server Error (after 4 attempts)",
		Reason: "HTTP 500 Internal Server Error (after 4 attempts)"},
}}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

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
		gqlgen: newHandler(r, Options{Log: quietLog(), AdminToken: "sekret", CacheBytes: -1}, shortcuts{off: true})}
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
