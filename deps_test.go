package releaselake_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/releaselake/releaselake"

// imports lists the packages pkg imports directly, standard ones included.
func imports(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// deps lists the packages pkg imports, transitively (go list -deps), tests excluded.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// The design's dependency direction: the domain imports only the standard
// library, and neither unsafe nor runtime (the serving engine holds what
// needs them); graph sees data only through the domain and the engine;
// ingest writes through the domain; the lake fills the domain's Columns and
// knows nothing of the engine that indexes them.
func TestDependencyDirection(t *testing.T) {
	for _, d := range deps(t, module) {
		if d != module {
			t.Errorf("the domain package imports %s; it may import only the standard library", d)
		}
	}
	for _, d := range imports(t, module) {
		if d == "unsafe" || d == "runtime" || strings.HasPrefix(d, "runtime/") {
			t.Errorf("the domain package imports %s; the serving engine is where that belongs", d)
		}
	}
	forbidden := map[string][]string{
		module + "/graph":   {module + "/lake", module + "/ingest", module + "/page"},
		module + "/ingest":  {module + "/lake", module + "/graph", module + "/page"},
		module + "/page":    {module + "/lake", module + "/ingest", module + "/graph"},
		module + "/lake":    {module + "/ingest", module + "/graph", module + "/page", module + "/serving"},
		module + "/catalog": {module + "/ingest", module + "/lake", module + "/graph", module + "/page", module + "/serving"},
		module + "/serving": {module + "/lake", module + "/ingest", module + "/graph", module + "/page"},
	}
	for pkg, bad := range forbidden {
		for _, d := range deps(t, pkg) {
			for _, b := range bad {
				if d == b || strings.HasPrefix(d, b+"/") {
					t.Errorf("%s imports %s", pkg, d)
				}
			}
		}
	}
}

// A source package (one that ingest/sources lists) sees the rest of the program
// only through the domain and httpfetch, so that adding one touches nothing else.
func TestDependencyDirection_sourcePackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, module+"/ingest/sources").Output()
	if err != nil {
		t.Fatalf("go list ingest/sources: %v", err)
	}
	allowed := map[string]bool{module: true, module + "/ingest/httpfetch": true}
	n := 0
	for _, pkg := range strings.Fields(string(out)) {
		if !strings.HasPrefix(pkg, module+"/") || allowed[pkg] {
			continue
		}
		n++
		for _, d := range deps(t, pkg) {
			if d != pkg && strings.HasPrefix(d, module) && !allowed[d] {
				t.Errorf("source package %s imports %s; it may import only the root and ingest/httpfetch of this module", pkg, d)
			}
		}
	}
	if n < 7 {
		t.Errorf("ingest/sources lists %d source packages, want at least 7", n)
	}
}

// The shipping binary links no test machinery: releaselake demo runs the fake
// GitHub (ingest/github/githubtest) in-process, and a test helper importing
// testing or net/http/httptest would bring their flags and code along.
func TestShippingBinary_linksNoTestPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", module+"/cmd/releaselake").Output()
	if err != nil {
		t.Fatalf("go list -deps cmd/releaselake: %v", err)
	}
	for _, d := range strings.Fields(string(out)) {
		if d == "testing" || d == "net/http/httptest" || strings.HasPrefix(d, "testing/") {
			t.Errorf("cmd/releaselake links %s (go list -deps ./cmd/releaselake)", d)
		}
	}
}
