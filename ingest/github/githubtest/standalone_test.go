package githubtest_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// Outside a test, the fake reads no files when given its schema and repositories,
// answers as NewServer's does, and reports what would fail a test instead.
func TestStart_withoutFilesReportsInsteadOfFailing(t *testing.T) {
	sdl, err := os.ReadFile(filepath.Join("..", "..", "..", ".cache", "github-schema.graphql"))
	if err != nil {
		t.Fatalf("GitHub schema (make github-schema): %v", err)
	}
	history, err := githubtest.ParseHistory(strings.NewReader(
		`{"owner":"acme","repo":"tool","tag":"v1.0.0","date":"2026-01-02T03:04:05Z","annotated":false}`+"\n"+
			`{"owner":"acme","repo":"tool","tag":"v1.1.0-rc.1","date":"2026-02-02T03:04:05+02:00","annotated":true}`+"\n"), "inline")
	if err != nil {
		t.Fatal(err)
	}
	history.PublishesReleases = true
	var mu sync.Mutex
	var reports []string
	srv, err := githubtest.Start(func(msg string) { mu.Lock(); reports = append(reports, msg); mu.Unlock() },
		githubtest.WithSchema("schema", string(sdl)), githubtest.WithRepos([]githubtest.Repo{history}))
	if err != nil {
		t.Fatal(err)
	}

	_, out, _ := post(t, srv.URL, srv.Token, `{ repository(owner: "acme", name: "tool") { releases(first: 5) { nodes { tagName isPrerelease } } } }`, nil)
	if got := get(out.Data, "repository", "releases", "nodes"); len(out.Errors) > 0 || len(got.([]any)) != 2 {
		t.Fatalf("releases of the given history: %v, errors %v", got, out.Errors)
	}
	if _, ok := srv.Repo("pallets/flask"); ok {
		t.Error("WithRepos still loaded the fixture repositories")
	}
	srv.AddTag("acme/tool", githubtest.Tag{Name: "v1.1.0", Date: time.Now()})
	srv.AddTag("acme/nope", githubtest.Tag{Name: "v1"})
	post(t, srv.URL, srv.Token, `{ repository(owner: "acme", name: "tool") { nope } }`, nil)
	srv.Close() // waits for the handler, which reports after answering
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 2 || !strings.Contains(reports[0], "no repository") || !strings.Contains(reports[1], "would reject") {
		t.Errorf("reports = %q, want the unknown repository and the rejected query", reports)
	}
	if r, _ := srv.Repo("acme/tool"); len(r.Tags) != 3 {
		t.Errorf("tags after AddTag = %d, want 3", len(r.Tags))
	}
}

// WithNotes replaces the derived releases' notes (the tests' script probe and
// made-up pull request links) for every repository, the given ones and those
// added later; without it the probe stays, for the tests that rely on it.
func TestWithNotes_replacesTheDerivedNotes(t *testing.T) {
	notes := func(repo, tag string) string { return "generated for " + repo + " " + tag }
	probe := githubtest.NewServer(t)
	srv := githubtest.NewServer(t, githubtest.WithNotes(notes))
	tags := []githubtest.Tag{{Name: "v1.0.0", Date: time.Now()}, {Name: "v1.0.1", Date: time.Now()}, {Name: "v1.1.0", Date: time.Now()}}
	srv.AddHistory("acme/tool", true, tags)
	probe.AddHistory("acme/tool", true, tags)
	for _, repo := range []string{"pallets/flask", "acme/tool"} {
		r, _ := srv.Repo(repo)
		p, _ := probe.Repo(repo)
		with := 0
		for i, rel := range r.Releases {
			if rel.Description == "" {
				continue
			}
			with++
			if want := notes(repo, rel.TagName); rel.Description != want {
				t.Errorf("%s %s: notes %q, want %q", repo, rel.TagName, rel.Description, want)
			}
			if !strings.Contains(p.Releases[i].Description, "<script>") || !strings.Contains(p.Releases[i].Description, "/pull/") {
				t.Errorf("%s %s without WithNotes: %q, want the probe", repo, rel.TagName, p.Releases[i].Description)
			}
		}
		if with == 0 {
			t.Errorf("%s: no release has notes among %d", repo, len(r.Releases))
		}
	}
}
