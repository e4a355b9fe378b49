package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// Fake GitHub -> red -> yellow_advisories -> delta-rs and GraphQL: the real
// program ingests flask (package PIP flask) and a product whose catalog
// package is py (withdrawn advisory), serves them, and answers "is 2.3.1
// affected?" the way the issue asks it, with the fixes and the repository's
// description.
func TestAdvisories_fakeGitHubToGraphQLAndDeltaRS(t *testing.T) {
	gh := githubtest.NewServer(t)
	dir := t.TempDir()
	cat := filepath.Join(dir, "catalog.yaml")
	if err := os.WriteFile(cat, []byte(`products:
  - key: flask
    github: pallets/flask
    package: {ecosystem: PIP, name: flask}
  - key: pylib
    github: mwaskom/seaborn
    package: {ecosystem: PIP, name: py}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	a := &app{t: t, lake: filepath.Join(dir, "lake")}
	a.env = map[string]string{"RELEASELAKE_LAKE": a.lake, "RELEASELAKE_CATALOG": cat,
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL}
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	base := a.serve()

	type adv struct {
		GhsaID, VulnerableRange, Severity string
		FirstPatched                      *string
		Withdrawn, Evaluable              bool
	}
	var got struct {
		Flask struct {
			Advisories []adv
			Releases   struct {
				Nodes []struct {
					Version    string
					Advisories []adv
					Fixes      []adv
				}
			}
		}
		Pylib struct{ Advisories []adv }
	}
	q := `{
	  flask: product(key: "flask") {
	    advisories { ghsaId vulnerableRange severity firstPatched withdrawn evaluable }
	    releases(first: 100) { nodes { version advisories { ghsaId vulnerableRange } fixes { ghsaId vulnerableRange } } }
	  }
	  pylib: product(key: "pylib") { advisories { ghsaId withdrawn firstPatched } }
	}`
	// serve loads the advisories beside the index it loads; wait for them.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		query(t, base, q, nil, &got)
		if len(got.Flask.Advisories) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(got.Flask.Advisories) != 2 || got.Flask.Advisories[0].GhsaID != "GHSA-m2qf-hxjv-5gpq" || !got.Flask.Advisories[0].Evaluable {
		t.Fatalf("flask advisories = %+v", got.Flask.Advisories)
	}
	if p := got.Pylib.Advisories; len(p) != 1 || !p[0].Withdrawn || p[0].FirstPatched != nil {
		t.Errorf("pylib advisories = %+v: want py's withdrawn one, no patch", p)
	}
	byVersion := map[string][2][]adv{}
	for _, n := range got.Flask.Releases.Nodes {
		byVersion[n.Version] = [2][]adv{n.Advisories, n.Fixes}
	}
	for version, want := range map[string][2]string{
		"2.3.1": {">= 2.3.0, < 2.3.2", ""}, // is 2.3.1 affected? yes
		"2.3.2": {"", ">= 2.3.0, < 2.3.2"},
		"2.2.4": {"< 2.2.5", ""},
		"2.2.5": {"", "< 2.2.5"},
		"2.3.3": {"", ""},
	} {
		lists, ok := byVersion[version]
		if !ok {
			t.Errorf("flask %s not among the releases", version)
			continue
		}
		for i, l := range lists {
			got := ""
			if len(l) > 0 {
				got = l[0].VulnerableRange
			}
			if len(l) > 1 || got != want[i] {
				t.Errorf("flask %s %s = %+v, want %q", version, []string{"advisories", "fixes"}[i], l, want[i])
			}
		}
	}

	// delta-rs reads the table the program wrote.
	py := deltaPython(t)
	out, err := exec.Command(py, "-c", `
import json, sys
from deltalake import DeltaTable
t = DeltaTable(sys.argv[1]).to_pyarrow_table().to_pylist()
print(json.dumps(sorted([r["product"], r["ghsa_id"], r["vulnerable_range"], r["withdrawn_at"] is not None] for r in t)))
`, filepath.Join(a.lake, "yellow_advisories")).CombinedOutput()
	if err != nil {
		t.Fatalf("delta-rs: %v\n%s", err, out)
	}
	var rows [][]any
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := `[[flask GHSA-m2qf-hxjv-5gpq < 2.2.5 false] [flask GHSA-m2qf-hxjv-5gpq >= 2.3.0, < 2.3.2 false] [pylib GHSA-w596-4wvx-j9j6 <= 1.11.0 true]]`
	if got := fmt.Sprint(rows); got != want {
		t.Errorf("delta-rs read %s\nwant %s", got, want)
	}
}

// rebuild recomputes yellow_advisories from red as it does yellow: after an
// ingest it equals the committed table (-check exits 0); in a lake whose
// advisories table is gone it differs (-check exits 1), and rebuild commits
// the same rows again.
func TestRebuild_advisoriesFromRed(t *testing.T) {
	gh := githubtest.NewServer(t)
	dir := t.TempDir()
	cat := filepath.Join(dir, "catalog.yaml")
	if err := os.WriteFile(cat, []byte("products:\n  - key: flask\n    github: pallets/flask\n    package: {ecosystem: PIP, name: flask}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := &app{t: t, lake: filepath.Join(dir, "lake")}
	a.env = map[string]string{"RELEASELAKE_LAKE": a.lake, "RELEASELAKE_CATALOG": cat,
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL}
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	if code, out := a.run("rebuild", "-check"); code != 0 || !strings.Contains(out, "yellow_advisories equals the rebuild (2 rows)") {
		t.Fatalf("rebuild -check after an ingest: exit %d:\n%s", code, out)
	}
	if err := os.RemoveAll(filepath.Join(a.lake, "yellow_advisories")); err != nil {
		t.Fatal(err)
	}
	if code, out := a.run("rebuild", "-check"); code != 1 || !strings.Contains(out, "rebuilt 2 advisory rows from red") {
		t.Fatalf("rebuild -check without the table: exit %d, want 1:\n%s", code, out)
	}
	if code, out := a.run("rebuild"); code != 0 || !strings.Contains(out, "committed the advisories rebuild as yellow_advisories v0") {
		t.Fatalf("rebuild: exit %d:\n%s", code, out)
	}
	if code, out := a.run("rebuild", "-check"); code != 0 {
		t.Fatalf("rebuild -check after the rebuild: exit %d:\n%s", code, out)
	}
}
