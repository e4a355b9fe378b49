package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
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

// A rebuild over a yellow that differs from red (a row edited, one deleted)
// says how, and commits red's rows back on top of it.
func TestRebuild_overAYellowThatDiffers(t *testing.T) {
	dir := t.TempDir()
	a := &app{t: t, lake: filepath.Join(dir, "lake"), env: map[string]string{
		"RELEASELAKE_LAKE": filepath.Join(dir, "lake"), "RELEASELAKE_CATALOG": filepath.Join(dir, "catalog.yaml")}}
	if code, out := a.run("gen", "-products", "20", "-releases", "600", "-seed", "7", "-out", dir); code != 0 {
		t.Fatalf("gen: exit %d\n%s", code, out)
	}
	if code, out := a.run("rebuild"); code != 0 || !strings.Contains(out, "committed the rebuild as v0") {
		t.Fatalf("rebuild: exit %d\n%s", code, out)
	}
	ctx := context.Background()
	store := lake.Open(localfs.New(a.lake))
	v0, err := store.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	edited := slices.Clone(v0.Releases[1:]) // the first row deleted
	edited[0].Name = "edited"
	if _, err := store.Commit(ctx, v0.Version, edited, releaselake.CommitInfo{Operation: "TEST"}); err != nil {
		t.Fatal(err)
	}
	if code, out := a.run("rebuild", "-check"); code != 1 || !strings.Contains(out, "yellow v1 has 599: 1 added, 1 changed, 0 removed") {
		t.Fatalf("rebuild -check: exit %d\n%s", code, out)
	}
	if code, out := a.run("rebuild"); code != 0 || !strings.Contains(out, "committed the rebuild as v2") {
		t.Fatalf("rebuild: exit %d\n%s", code, out)
	}
	v2, err := store.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := ingest.Compare(v0.Releases, v2.Releases); d != (ingest.Diff{}) || v2.Version != 2 {
		t.Errorf("v%d differs from the first rebuild: %+v", v2.Version, d)
	}
}
