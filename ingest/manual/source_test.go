package manual

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/releaselake/releaselake"
)

const file = `# kept by hand
releases:
  - version: 2.5.0-rc.1
    date: 2024-11-20T10:00:00+01:00
    url: https://wiki.example.com/queryme/2.5.0-rc.1
  - version: 2.4.0
    date: 2024-09-30
  - version: 2.4.0-hotfix
    date: 2024-10-01
    prerelease: false
  - version: 2.3
    date: 2024-07-15
`

func fetchParse(t *testing.T, s *Source, c releaselake.Crawl) (releaselake.Fetched, releaselake.Parsed, error) {
	t.Helper()
	f := s.Fetch(context.Background(), []releaselake.Crawl{c})[0]
	if f.Err != nil || f.Unchanged {
		return f, releaselake.Parsed{}, f.Err
	}
	got, err := s.Parse(c.Product, f.Raw, c.Prev)
	return f, got, err
}

func TestSource_readsTheFile(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "releases"), 0o755)
	os.WriteFile(filepath.Join(dir, "releases", "queryme.yaml"), []byte(file), 0o644)
	p := releaselake.Product{Key: "queryme", Kind: "manual", Ref: "releases/queryme.yaml"}
	s := &Source{Dir: dir}
	_, got, err := fetchParse(t, s, releaselake.Crawl{Product: p})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		published  string
		prerelease bool
		url        string
	}
	want := map[string]row{
		"2.5.0-rc.1":   {"2024-11-20T09:00:00Z", true, "https://wiki.example.com/queryme/2.5.0-rc.1"},
		"2.4.0":        {"2024-09-30T00:00:00Z", false, ""},
		"2.4.0-hotfix": {"2024-10-01T00:00:00Z", false, ""}, // the file says it is no prerelease
		"2.3":          {"2024-07-15T00:00:00Z", false, ""}, // YAML would read 2.3 as a number; the text is kept
	}
	if len(got.Releases) != len(want) {
		t.Fatalf("%+v", got.Releases)
	}
	for _, r := range got.Releases {
		w := want[r.Version]
		if r.PublishedAt.Format(time.RFC3339) != w.published || r.Prerelease != w.prerelease || r.URL != w.url || r.Tag != r.Version ||
			r.Product != "queryme" || r.Source != releaselake.SourceManual || r.DateSource != releaselake.DateManual || r.Repo != "releases/queryme.yaml" {
			t.Errorf("row %+v, want %+v", r, w)
		}
	}
}

func TestSource_unchangedFileCostsNothing(t *testing.T) {
	fsys := fstest.MapFS{"releases/queryme.yaml": {Data: []byte(file)}}
	s := &Source{FS: fsys}
	p := releaselake.Product{Key: "queryme", Kind: "manual", Ref: "releases/queryme.yaml"}
	first, rows, err := fetchParse(t, s, releaselake.Crawl{Product: p})
	if err != nil || len(first.Raw) != 1 || first.State == nil {
		t.Fatalf("first: %v", err)
	}
	second, _, _ := fetchParse(t, s, releaselake.Crawl{Product: p, Prev: rows.Releases, State: first.State})
	if !second.Unchanged || second.Raw != nil {
		t.Fatalf("second %+v", second)
	}
	// An edit is read, and a release taken out of the file is gone.
	fsys["releases/queryme.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(file, "  - version: 2.3\n    date: 2024-07-15\n", "", 1))}
	_, third, err := fetchParse(t, s, releaselake.Crawl{Product: p, Prev: rows.Releases, State: first.State})
	if err != nil || len(third.Releases) != 3 {
		t.Fatalf("third: %d rows, %v", len(third.Releases), err)
	}
}

func TestSource_embeddedDefaultFile(t *testing.T) {
	s := &Source{FS: releaselake.DefaultManualFiles}
	p := releaselake.Product{Key: "queryme", Kind: "manual", Ref: "releases/queryme.yaml"}
	_, got, err := fetchParse(t, s, releaselake.Crawl{Product: p})
	if err != nil || len(got.Releases) == 0 {
		t.Fatalf("the default queryme file: %d rows, %v", len(got.Releases), err)
	}
}

func TestSource_mistakesNameTheirLine(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"unknown key":     {"releases:\n  - version: 1.0.0\n    date: 2024-01-01\n    notes: hi\n", `line 2: unknown key "notes"`},
		"no date":         {"releases:\n  - version: 1.0.0\n", "line 2: version 1.0.0 has no date"},
		"bad date":        {"releases:\n  - version: 1.0.0\n    date: 01/02/2024\n", `line 2: version 1.0.0: date "01/02/2024" is neither YYYY-MM-DD nor RFC 3339`},
		"bad version":     {"releases:\n  - version: latest\n    date: 2024-01-01\n", `line 2: version "latest": does not start with a digit`},
		"twice":           {"releases:\n  - version: 1.0.0\n    date: 2024-01-01\n  - version: 1.0.0\n    date: 2024-01-02\n", "line 4: version 1.0.0 is listed twice (first at line 2)"},
		"bad prerelease":  {"releases:\n  - version: 1.0.0\n    date: 2024-01-01\n    prerelease: maybe\n", `prerelease must be true or false, got "maybe"`},
		"top-level":       {"release:\n  - version: 1.0.0\n", `line 1: unknown top-level key "release"`},
		"not a list":      {"releases: 1.0.0\n", "want a releases: list"},
		"not yaml":        {"releases: [\n", "yaml: line"},
		"entry not a map": {"releases:\n  - 1.0.0\n", "line 2: a release must be a mapping"},
		"nested value":    {"releases:\n  - version: [1, 0]\n    date: 2024-01-01\n", "line 2: version must be a single value"},
		"empty file":      {"", "want a mapping with a releases: list"},
		"releases twice":  {"releases:\n  - version: 1.0.0\n    date: 2024-01-01\nreleases:\n  - version: 2.0.0\n    date: 2024-02-01\n", "line 4: releases given twice (first at line 1)"},
		"key twice":       {"releases:\n  - version: 1.0.0\n    date: 2024-01-01\n    date: 2024-02-01\n", "line 2: date given twice"},
	}
	for name, tc := range cases {
		s := &Source{FS: fstest.MapFS{"q.yaml": {Data: []byte(tc.body)}}}
		_, _, err := fetchParse(t, s, releaselake.Crawl{Product: releaselake.Product{Key: "q", Kind: "manual", Ref: "q.yaml"}})
		if err == nil || !strings.HasPrefix(err.Error(), "manual q.yaml: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", name, err, tc.want)
		}
	}
}

func TestSource_missingFile(t *testing.T) {
	for name, s := range map[string]*Source{"disk": {Dir: t.TempDir()}, "embedded": {FS: fstest.MapFS{}}} {
		f := s.Fetch(context.Background(), []releaselake.Crawl{{Product: releaselake.Product{Key: "q", Kind: "manual", Ref: "releases/q.yaml"}}})[0]
		if f.Err == nil || !strings.HasPrefix(f.Err.Error(), "manual releases/q.yaml: read") || releaselake.ClassOf(f.Err) != releaselake.NotFound {
			t.Errorf("%s: %v", name, f.Err)
		}
	}
}
