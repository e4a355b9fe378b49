package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
)

// changeIngests runs the ingests the change feed is checked on, into the lake
// at lakeLoc: v0 the catalog's flask history; v1 a new prerelease; v2 that
// release made GA; v3 an older release deleted. It returns the lake's own
// change feed of v1..v3 as feedKeys, and the app that ran them.
func changeIngests(t *testing.T, lakeLoc string) ([]string, *app) {
	t.Helper()
	gh := githubtest.NewServer(t)
	catalog := filepath.Join(t.TempDir(), "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: flask\n    github: pallets/flask\n"), 0o644)
	a := &app{t: t, lake: lakeLoc, env: map[string]string{
		"RELEASELAKE_LAKE": lakeLoc, "RELEASELAKE_CATALOG": catalog, "GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL}}
	at := time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC)
	steps := []func(){
		func() {},
		func() {
			gh.AddRelease("pallets/flask", githubtest.Release{TagName: "9.0.0", PublishedAt: at, CreatedAt: at, IsPrerelease: true})
		},
		func() {
			gh.EditRelease("pallets/flask", "9.0.0", func(r *githubtest.Release) { r.IsPrerelease = false })
		},
		func() { gh.DeleteRelease("pallets/flask", "2.0.0") },
	}
	for i, step := range steps {
		step()
		if code, out := a.run("ingest"); code != 0 || !strings.Contains(out, fmt.Sprintf("version %d,", i)) {
			t.Fatalf("ingest %d: exit %d\n%s", i, code, out)
		}
	}
	s := lake.Open(mustFS(t, lakeLoc))
	defer s.Close()
	sets, err := s.Changes(context.Background(), 1, 3, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, set := range sets {
		for _, c := range set.Changes {
			switch {
			case c.Added():
				keys = append(keys, feedKey(set.Version, releaselake.ChangeInsert, c.After))
			case c.Removed():
				keys = append(keys, feedKey(set.Version, releaselake.ChangeDelete, c.Before))
			default:
				keys = append(keys, feedKey(set.Version, releaselake.ChangePreimage, c.Before),
					feedKey(set.Version, releaselake.ChangePostimage, c.After))
			}
		}
	}
	slices.Sort(keys)
	want := []string{
		"1 insert flask/9.0.0 prerelease=true",
		"2 update_postimage flask/9.0.0 prerelease=false",
		"2 update_preimage flask/9.0.0 prerelease=true",
		"3 delete flask/2.0.0 prerelease=false",
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("the lake's change feed of v1..v3 = %q, want %q", keys, want)
	}
	return keys, a
}

// feedKey is one change feed row as the tests compare it.
func feedKey(v int64, typ releaselake.ChangeType, r *releaselake.Release) string {
	return fmt.Sprintf("%d %s %s/%s prerelease=%v", v, typ, r.Product, r.Tag, r.Prerelease)
}

// delta-rs's load_cdf reads, after real ingests, the change feed the lake's
// own reader (which GraphQL's changes serves) gives.
func TestIngest_changeFeedReadByDeltaRS(t *testing.T) {
	py := deltaPython(t)
	dir := filepath.Join(t.TempDir(), "lake")
	want, _ := changeIngests(t, dir)

	cmd := exec.Command(py, filepath.Join("..", "..", "lake", "testdata", "read_cdf.py"), filepath.Join(dir, "yellow"), "1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("read_cdf.py: %v\n%s", err, stderr.String())
	}
	var got struct {
		Rows []struct {
			Product, Tag, ChangeType string `json:",omitempty"`
			Prerelease               bool
			Version                  int64 `json:"_commit_version"`
		}
	}
	// read_cdf.py prints Delta's column names; map the two that differ.
	out = bytes.ReplaceAll(out, []byte(`"_change_type"`), []byte(`"ChangeType"`))
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("read_cdf.py output: %v\n%s", err, out)
	}
	var keys []string
	for _, r := range got.Rows {
		keys = append(keys, feedKey(r.Version, releaselake.ChangeType(r.ChangeType), &releaselake.Release{Product: r.Product, Tag: r.Tag, Prerelease: r.Prerelease}))
	}
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Errorf("load_cdf from v1:\n got  %q\n want %q", keys, want)
	}
}
