package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// A javascript: URL in a source (here a manual file) is stored as no URL: the
// API answers "", and the page and the feed link nowhere for it.
func TestMain_unsafeReleaseURLsAreDroppedAtTheDoor(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "tool.yaml"), []byte(`releases:
  - version: 1.0.0
    date: 2024-03-01
    url: javascript:alert(document.cookie)
  - version: 1.1.0
    date: 2024-04-01
    url: https://wiki.example.com/tool/1.1.0
`), 0o644)
	catalog := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: tool\n    manual: tool.yaml\n"), 0o644)
	a := &app{t: t, lake: filepath.Join(dir, "lake")}
	a.env = map[string]string{"RELEASELAKE_LAKE": a.lake, "RELEASELAKE_CATALOG": catalog}
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	runs, err := lake.Open(localfs.New(a.lake)).Runs(context.Background(), 1)
	if err != nil || len(runs) != 1 || len(runs[0].Products) != 1 ||
		!slices.Equal(runs[0].Products[0].Warnings, []string{"1 release URLs dropped: not http or https (the first: 1.0.0)"}) {
		t.Errorf("the run record does not warn of the dropped URL: %+v %v", runs, err)
	}
	base := a.serve()
	var got struct {
		Releases struct {
			Nodes []struct{ Version, URL string }
		}
	}
	query(t, base, `{ releases(products: ["tool"]) { nodes { version url } } }`, nil, &got)
	urls := map[string]string{}
	for _, n := range got.Releases.Nodes {
		urls[n.Version] = n.URL
	}
	if urls["1.0.0"] != "" || urls["1.1.0"] != "https://wiki.example.com/tool/1.1.0" || len(urls) != 2 {
		t.Errorf("urls %v", urls)
	}
	for _, path := range []string{"/?products=tool", "/feed.atom?products=tool"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(strings.ToLower(string(b)), "javascript") {
			t.Errorf("%s has the javascript: URL:\n%s", path, b)
		}
	}
}
