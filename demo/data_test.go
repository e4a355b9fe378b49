package demo

import (
	"bytes"
	"compress/gzip"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/ingest/sources"
)

var update = flag.Bool("update", false, "rewrite the embedded GitHub schema from .cache/github-schema.graphql")

// The embedded copies stay those of the files they come from: GitHub's schema as
// `make github-schema` prints it (without descriptions) and the fixture histories.
func TestEmbeddedData(t *testing.T) {
	full, err := os.Open(filepath.Join("..", ".cache", "github-schema.graphql"))
	if err != nil {
		t.Fatalf("GitHub schema (make github-schema): %v", err)
	}
	defer full.Close()
	want, err := SchemaSDL(full)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write([]byte(want))
		zw.Close()
		if err := os.WriteFile(schemaFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := githubSchema(); err != nil || got != want {
		t.Errorf("%s differs from .cache/github-schema.graphql (err %v): go test ./demo -run TestEmbeddedData -update", schemaFile, err)
	}

	fixtures, err := filepath.Glob(filepath.Join("..", "..", "shared", "fixtures", "github", "*.jsonl"))
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no ../shared/fixtures/github/*.jsonl (err %v)", err)
	}
	for _, f := range fixtures {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := "data/github/" + filepath.Base(f) + ".gz"
		b, err := data.ReadFile(name)
		if err != nil {
			t.Errorf("%s is not embedded: gzip -9n < %s > %s", filepath.Base(f), f, name)
			continue
		}
		if got, err := gunzip(b); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (err %v)", name, f, err)
		}
	}
}

// Every GitHub product of the default catalog has a repository in data/github.csv,
// and every fixture repository there is embedded.
func TestPlansCoverTheCatalog(t *testing.T) {
	cat, err := catalog.Default(sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	plans, err := readPlans()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]repoPlan{}
	for _, p := range plans {
		have[strings.ToLower(p.repo)] = p
	}
	for _, p := range cat.Products() {
		if p.Kind != "github" {
			continue
		}
		plan, ok := have[strings.ToLower(p.Ref)]
		if !ok {
			t.Errorf("catalog product %s (github %s) has no row in data/github.csv", p.Key, p.Ref)
			continue
		}
		repo, err := plan.history(testNow)
		if err != nil {
			t.Errorf("%s: %v", p.Ref, err)
			continue
		}
		// A generated tag the catalog's tag_pattern would drop is a version the demo loses.
		if re := p.Options.Regexp("tag_pattern"); re != nil && !plan.fixture {
			for _, tag := range append(repo.Tags, plan.day2Tags(testNow)...) {
				if !re.MatchString(tag.Name) {
					t.Errorf("%s: generated tag %q does not match the catalog's tag_pattern %s", p.Key, tag.Name, re)
				}
			}
		}
	}
}

var testNow = time.Date(2026, 12, 6, 16, 0, 0, 0, time.UTC)
