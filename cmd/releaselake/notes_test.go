package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// The notes column end to end: a GitHub release's description, as the fake
// GitHub (checked against GitHub's schema) serves it, is kept in red, stored
// in yellow, read back by delta-rs, answered by GraphQL as written and shown
// on the page escaped.
func TestNotes_githubToRedYellowDeltaRSGraphQLAndPage(t *testing.T) {
	py := deltaPython(t)
	gh := githubtest.NewServer(t)
	dir := t.TempDir()
	a := &app{t: t, lake: dir, env: map[string]string{"RELEASELAKE_LAKE": dir, "GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL}}
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest: exit %d\n%s", code, out)
	}
	const notes = "## What's new\n\n* `<b>` & <script>alert(1)</script> ✓\n\n**Full Changelog**: https://github.com/pallets/flask/compare/v19.0.0...v99.0.0\n"
	gh.AddRelease("pallets/flask", githubtest.Release{TagName: "v99.0.0", Name: "99.0.0 (March 2031)", Description: notes,
		PublishedAt: time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC)})
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest: exit %d\n%s", code, out)
	}

	// red: GitHub's answer as it came, the description in it.
	store := lake.Open(localfs.New(dir))
	runs, err := store.RedRuns(context.Background())
	if err != nil || len(runs) != 2 {
		t.Fatalf("red runs %v, %v", runs, err)
	}
	// (Two runs in one second: their ids sort by their random suffix, so
	// look in both.)
	held := false
	for _, run := range runs {
		lines, err := store.ReadRed(context.Background(), run, "github")
		if err != nil {
			t.Fatal(err)
		}
		held = held || redHolds(lines, notes)
	}
	if !held {
		t.Errorf("red does not hold the release's description")
	}

	// yellow, read by delta-rs.
	out, err := exec.Command(py, filepath.Join("..", "..", "lake", "testdata", "read_delta.py"), filepath.Join(dir, "yellow")).Output()
	if err != nil {
		t.Fatalf("read_delta.py: %v", err)
	}
	var dr struct{ Rows []map[string]any }
	if err := json.Unmarshal(out, &dr); err != nil {
		t.Fatal(err)
	}
	withNotes := 0
	for _, r := range dr.Rows {
		if r["product"] == "flask" && r["tag"] == "v99.0.0" && r["notes"] != notes {
			t.Errorf("delta-rs reads flask v99.0.0's notes as %q", r["notes"])
		}
		if r["notes"] != "" {
			withNotes++
		}
	}
	if withNotes < 2 {
		t.Errorf("delta-rs finds notes on %d rows; the fake GitHub gives most releases notes", withNotes)
	}

	// GraphQL, and the page.
	base := a.serve()
	var got struct{ Latest []struct{ Tag, Notes string } }
	query(t, base, `{ latest(products: ["flask"]) { tag notes } }`, nil, &got)
	if len(got.Latest) != 1 || got.Latest[0].Tag != "v99.0.0" || got.Latest[0].Notes != notes {
		t.Errorf("latest flask = %+v, want v99.0.0 with its notes", got.Latest)
	}
	resp, err := http.Get(base + "/?products=flask")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if bytes.Contains(page, []byte("<script>alert(1)")) || !bytes.Contains(page, []byte(html.EscapeString("<script>alert(1)</script>"))) {
		t.Errorf("the page does not show flask's notes escaped:\n%s", page)
	}
}

// redHolds reports whether a JSON string value somewhere in lines equals s.
func redHolds(lines [][]byte, s string) bool {
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return v == s
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	for _, l := range lines {
		var v any
		if json.Unmarshal(l, &v) == nil && walk(v) {
			return true
		}
	}
	return false
}
