package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// gen writes a catalog and red that rebuild turns into exactly the releases
// asked for; rebuild -check then finds yellow equal to red; a second gen into
// the same lake is refused rather than doubling the run.
func TestGen_thenRebuildGivesTheReleases(t *testing.T) {
	dir := t.TempDir()
	a := &app{t: t, lake: filepath.Join(dir, "lake"), env: map[string]string{
		"RELEASELAKE_LAKE": filepath.Join(dir, "lake"), "RELEASELAKE_CATALOG": filepath.Join(dir, "catalog.yaml")}}
	code, out := a.run("gen", "-products", "50", "-releases", "5000", "-seed", "42", "-out", dir)
	if code != 0 || !strings.Contains(out, "generated 50 products, 5000 releases") {
		t.Fatalf("gen: exit %d\n%s", code, out)
	}
	if code, out := a.run("rebuild"); code != 0 || !strings.Contains(out, "rebuilt 5000 rows from red") ||
		!strings.Contains(out, "committed the rebuild as v0") {
		t.Fatalf("rebuild: exit %d\n%s", code, out)
	}
	snap, err := lake.Open(localfs.New(a.lake)).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	products := map[string]bool{}
	for _, r := range snap.Releases {
		products[r.Product] = true
	}
	if len(snap.Releases) != 5000 || len(products) != 50 {
		t.Fatalf("yellow has %d rows of %d products, want 5000 of 50", len(snap.Releases), len(products))
	}
	if code, out := a.run("rebuild", "-check"); code != 0 || !strings.Contains(out, "yellow equals the rebuild") {
		t.Fatalf("rebuild -check: exit %d\n%s", code, out)
	}
	if code, out := a.run("gen", "-products", "50", "-releases", "5000", "-seed", "42", "-out", dir); code == 0 ||
		!strings.Contains(out, "red file exists") {
		t.Fatalf("second gen into the same lake: exit %d\n%s", code, out)
	}
	runs, err := lake.Open(localfs.New(a.lake)).Runs(context.Background(), 0)
	if err != nil || len(runs) != 1 || runs[0].Status != releaselake.RunSucceeded {
		t.Fatalf("run records %+v, %v", runs, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "catalog.yaml")); err != nil {
		t.Fatal(err)
	}
}
