package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// Yellow rebuilt from red alone equals yellow as the runs made it, through
// incremental runs with new, edited (notes too), drafted and deleted releases.
func TestRebuild_equalsTheIncrementalRuns(t *testing.T) {
	gh := githubtest.NewServer(t)
	dir := t.TempDir()
	catalog := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(catalog, []byte(`products:
  - key: flask
    github: pallets/flask
  - key: seaborn
    github: mwaskom/seaborn
  - key: kafka
    github: apache/kafka
    tags: true
    tag_pattern: '^(\d+\.\d+\.\d+)$'
`), 0o644)
	a := &app{t: t, lake: filepath.Join(dir, "lake"), env: map[string]string{
		"RELEASELAKE_LAKE": filepath.Join(dir, "lake"), "RELEASELAKE_CATALOG": catalog,
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL}}
	recent := time.Now().Add(-time.Hour)
	changes := []func(){
		func() {},
		func() {
			gh.AddRelease("pallets/flask", githubtest.Release{TagName: "9.0.0rc1", PublishedAt: recent, CreatedAt: recent, IsPrerelease: true})
			gh.AddTag("apache/kafka", githubtest.Tag{Name: "9.0.0", Date: recent})
		},
		func() {
			gh.EditRelease("pallets/flask", "9.0.0rc1", func(r *githubtest.Release) {
				r.Name, r.Description = "Flask 9 RC", "## RC\n\n* <b>notes</b>"
			})
			gh.AddRelease("mwaskom/seaborn", githubtest.Release{TagName: "v9.0.0", PublishedAt: recent, CreatedAt: recent})
		},
		func() { gh.SetDraft("mwaskom/seaborn", "v9.0.0", true) },
		func() { gh.DeleteRelease("pallets/flask", "2.0.0") },
	}
	for i, change := range changes {
		change()
		if code, out := a.run("ingest"); code != 0 {
			t.Fatalf("ingest %d: exit %d\n%s", i, code, out)
		}
	}
	code, out := a.run("rebuild", "-check")
	if code != 0 || !strings.Contains(out, "yellow equals the rebuild") {
		t.Fatalf("rebuild -check: exit %d\n%s", code, out)
	}
	store := lake.Open(localfs.New(a.lake))
	before, err := store.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Lose yellow altogether: red and the run records rebuild it.
	os.RemoveAll(filepath.Join(a.lake, "yellow"))
	if code, out := a.run("rebuild"); code != 0 || !strings.Contains(out, "committed the rebuild as v0") {
		t.Fatalf("rebuild: exit %d\n%s", code, out)
	}
	after, err := store.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := ingest.Compare(before.Releases, after.Releases); d != (ingest.Diff{}) || len(after.Releases) == 0 {
		t.Fatalf("rebuilt yellow differs from the incremental one: %+v (%d rows)", d, len(after.Releases))
	}
	// Notes come from red too (Compare holds them equal): the edited release's among them.
	for _, r := range after.Releases {
		if r.Product == "flask" && r.Tag == "9.0.0rc1" && r.Notes != "## RC\n\n* <b>notes</b>" {
			t.Errorf("rebuilt flask 9.0.0rc1 notes %q", r.Notes)
		}
	}
}
