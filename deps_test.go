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
		module + "/graph":  {module + "/lake", module + "/ingest", module + "/page"},
		module + "/ingest": {module + "/lake", module + "/graph", module + "/page"},
		module + "/page":   {module + "/lake", module + "/ingest", module + "/graph"},
		module + "/lake":   {module + "/ingest", module + "/graph", module + "/page"},
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
