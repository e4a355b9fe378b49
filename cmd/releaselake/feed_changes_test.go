package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed/atom"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
)

// After real ingests (a new prerelease and a new release; the prerelease made
// GA and another release added; the first release re-dated), serve's Atom feed
// says of each what its last change was, from the lake's change feed, and
// moves the updated time of the changed ones to their change's commit.
func TestServe_feedEntriesSayTheChangeFeedsLastChange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lake")
	gh := githubtest.NewServer(t)
	catalog := filepath.Join(t.TempDir(), "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: flask\n    name: Flask\n    github: pallets/flask\n"), 0o644)
	a := &app{t: t, lake: dir, env: map[string]string{
		"RELEASELAKE_LAKE": dir, "RELEASELAKE_CATALOG": catalog, "GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL}}
	// Published before the commits that change them, and newer than the
	// fixture's flask releases, so that the feed lists them.
	at := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second)
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	steps := []func(){
		func() {},
		func() {
			gh.AddRelease("pallets/flask", githubtest.Release{TagName: "9.0.0", PublishedAt: at, CreatedAt: at, IsPrerelease: true})
			gh.AddRelease("pallets/flask", githubtest.Release{TagName: "8.0.0", PublishedAt: at.Add(-48 * time.Hour), CreatedAt: at.Add(-48 * time.Hour)})
		},
		func() {
			gh.EditRelease("pallets/flask", "9.0.0", func(r *githubtest.Release) { r.IsPrerelease = false })
			gh.AddRelease("pallets/flask", githubtest.Release{TagName: "8.1.0", PublishedAt: at.Add(-time.Hour), CreatedAt: at.Add(-time.Hour)})
		},
		func() {
			gh.EditRelease("pallets/flask", "8.0.0", func(r *githubtest.Release) { r.PublishedAt = at.Add(-24 * time.Hour) })
		},
	}
	for i, step := range steps {
		step()
		if code, out := a.run("ingest"); code != 0 || !strings.Contains(out, fmt.Sprintf("version %d,", i)) {
			t.Fatalf("ingest %d: exit %d\n%s", i, code, out)
		}
	}
	s := lake.Open(mustFS(t, dir))
	sets, err := s.Changes(context.Background(), 2, 3, 1000)
	s.Close()
	if err != nil || len(sets) != 2 {
		t.Fatalf("change feed of v2..v3: %v, %d sets", err, len(sets))
	}
	gaAt, redatedAt := sets[0].CommittedAt, sets[1].CommittedAt

	got := feedEntries(t, a.serve()+"/feed.atom?products=flask")
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	for tag, want := range map[string][3]string{
		"9.0.0": {"Flask 9.0.0 (now generally available)",
			fmt.Sprintf("Flask 9.0.0 became generally available on %s (published %s as a prerelease).", day(gaAt), day(at)), rfc(gaAt)},
		"8.0.0": {"Flask 8.0.0 (re-dated)",
			fmt.Sprintf("Flask 8.0.0 was re-dated: published %s (was %s).", day(at.Add(-24*time.Hour)), day(at.Add(-48*time.Hour))), rfc(redatedAt)},
		"8.1.0": {"Flask 8.1.0", fmt.Sprintf("New release: Flask 8.1.0, published %s.", day(at.Add(-time.Hour))), rfc(at.Add(-time.Hour))},
	} {
		if g := got["urn:releaselake:release:flask:"+tag]; g != want {
			t.Errorf("entry of %s:\n got  %q\n want %q", tag, g, want)
		}
	}

	// The snapshot pushed to the page server carries the changes: its feed
	// says the same.
	_, pageURL := servePage(t, t.TempDir())
	a.env["RELEASELAKE_PAGE_URL"], a.env["RELEASELAKE_PAGE_SECRET"] = pageURL, pageSecret
	if code, out := a.run("push"); code != 0 {
		t.Fatalf("push: exit %d\n%s", code, out)
	}
	if pushed := feedEntries(t, pageURL+"/feed.atom?products=flask"); fmt.Sprint(pushed) != fmt.Sprint(got) {
		t.Errorf("the page server's feed:\n %q\nserve's:\n %q", pushed, got)
	}
}

// feedEntries reads the Atom feed at u: title, first line and updated time
// of each entry, by id.
func feedEntries(t *testing.T, u string) map[string][3]string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	feed, err := (&atom.Parser{}).Parse(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("feed at %s: %v\n%s", u, err, body)
	}
	got := map[string][3]string{}
	for _, e := range feed.Entries {
		got[e.ID] = [3]string{e.Title, strings.SplitN(e.Content.Value, "\n", 2)[0], e.Updated}
	}
	return got
}
