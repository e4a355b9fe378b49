package releaselake_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/releaselake/releaselake"

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
// library; graph sees data only through the domain; ingest writes through it.
func TestDependencyDirection(t *testing.T) {
	for _, d := range deps(t, module) {
		if d != module {
			t.Errorf("the domain package imports %s; it may import only the standard library", d)
		}
	}
	forbidden := map[string][]string{
		module + "/graph":   {module + "/lake", module + "/ingest", module + "/page"},
		module + "/ingest":  {module + "/lake", module + "/graph", module + "/page"},
		module + "/page":    {module + "/lake", module + "/ingest", module + "/graph"},
		module + "/lake":    {module + "/ingest", module + "/graph", module + "/page"},
		module + "/catalog": {module + "/ingest", module + "/lake", module + "/graph", module + "/page"},
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
