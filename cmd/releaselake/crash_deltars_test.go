package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/releaselake/releaselake/lake"
)

// deltaPython returns a python3 that imports deltalake: the one on PATH (make
// test puts .cache/venv first) or .cache/venv's. Without one the check is
// skipped, except under CI=true.
func deltaPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", filepath.Join("..", "..", ".cache", "venv", "bin", "python3")} {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import deltalake, pyarrow").Run() == nil {
			return path
		}
	}
	msg := "python3 with deltalake is needed (make py-deps)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// gqlRow is a release as GraphQL serves it.
type gqlRow struct {
	Product     struct{ Key string }
	Tag         string
	Version     string
	Name        string
	URL         string
	Source      string
	Repo        string
	DateSource  string
	PublishedAt time.Time
	FirstSeenAt time.Time
	Prerelease  bool
	Notes       string
}

// allRows pages through releases(asOf:) for every product.
func allRows(t *testing.T, base string, asOf *time.Time) map[string]gqlRow {
	t.Helper()
	const q = `query ($after: String, $t: DateTime) {
	  releases(first: 100, after: $after, asOf: $t) {
	    pageInfo { hasNextPage endCursor }
	    nodes { product { key } tag version name url source repo dateSource publishedAt firstSeenAt prerelease notes }
	  }
	}`
	vars := map[string]any{}
	if asOf != nil {
		vars["t"] = asOf.Format(time.RFC3339Nano)
	}
	rows := map[string]gqlRow{}
	for page := 0; ; page++ {
		var r struct {
			Releases struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Nodes []gqlRow
			}
		}
		query(t, base, q, vars, &r)
		for _, n := range r.Releases.Nodes {
			rows[n.Product.Key+"/"+n.Tag] = n
		}
		if !r.Releases.PageInfo.HasNextPage {
			return rows
		}
		if page > 1000 {
			t.Fatal("too many pages")
		}
		vars["after"] = r.Releases.PageInfo.EndCursor
	}
}

// assertDeltaRSMatchesGraphQL reads the lake's yellow table with delta-rs
// (lake/testdata/read_delta.py) and compares it, row by row and column by
// column, with what GraphQL serves: now, and as of version old's commit time.
func assertDeltaRSMatchesGraphQL(t *testing.T, lakeDir, catalog string, old int64) {
	t.Helper()
	py := deltaPython(t)
	fsys, err := openFS(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := lake.Open(fsys).SnapshotAt(context.Background(), old)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("..", "..", "lake", "testdata", "read_delta.py"),
		filepath.Join(lakeDir, "yellow"), strconv.FormatInt(old, 10))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("read_delta.py: %v\n%s", err, stderr.String())
	}
	var dr struct {
		Version int64
		Rows    []map[string]any
		At      map[string][]map[string]any
		Files   map[string]struct{ Types map[string]string }
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&dr); err != nil {
		t.Fatal(err)
	}
	for name, f := range dr.Files {
		if f.Types["published_at"] != "timestamp[us, tz=UTC]" || f.Types["tag"] != "large_string" && f.Types["tag"] != "string" {
			t.Errorf("%s: Parquet types %v", name, f.Types)
		}
	}

	a := &app{t: t, lake: lakeDir, env: map[string]string{"RELEASELAKE_LAKE": lakeDir, "RELEASELAKE_CATALOG": catalog}}
	base := a.serve()
	at := snap.CommittedAt
	for _, c := range []struct {
		what  string
		delta []map[string]any
		asOf  *time.Time
	}{
		{fmt.Sprintf("v%d (newest)", dr.Version), dr.Rows, nil},
		{fmt.Sprintf("v%d (asOf %s)", old, at.Format(time.RFC3339Nano)), dr.At[strconv.FormatInt(old, 10)], &at},
	} {
		served := allRows(t, base, c.asOf)
		if len(served) != len(c.delta) || len(served) == 0 {
			t.Errorf("%s: delta-rs read %d rows, GraphQL serves %d", c.what, len(c.delta), len(served))
			continue
		}
		for _, d := range c.delta {
			key := d["product"].(string) + "/" + d["tag"].(string)
			g, ok := served[key]
			if !ok {
				t.Errorf("%s: %s read by delta-rs is not served", c.what, key)
				continue
			}
			micros := func(v any) int64 { n, _ := strconv.ParseInt(string(v.(json.Number)), 10, 64); return n }
			want := []any{g.Version, g.Name, g.URL, g.Source, g.Repo, g.DateSource,
				g.PublishedAt.UnixMicro(), g.FirstSeenAt.UnixMicro(), g.Prerelease, g.Notes}
			got := []any{d["version"], d["name"], d["url"], d["source"], d["repo"], d["date_source"],
				micros(d["published_at"]), micros(d["first_seen_at"]), d["prerelease"], d["notes"]}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s\n delta-rs %v\n GraphQL  %v", c.what, key, got, want)
			}
		}
	}
	t.Logf("delta-rs and GraphQL agree on v%d and on v%d (asOf), %d and %d rows", dr.Version, old, len(dr.Rows), len(dr.At[strconv.FormatInt(old, 10)]))
}
