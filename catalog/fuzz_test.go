package catalog

import (
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/sources"
)

// Catalog parsing never panics; what it refuses it refuses as Invalid.
func FuzzParse(f *testing.F) {
	f.Add(string(releaselake.DefaultCatalogYAML))
	f.Add("products:\n  - key: a\n    github: o/a\n    tag_pattern: '^v(('\n")
	f.Add("products: [")
	f.Add("products:\n  - {key: a, pypi: a, npm: b}\n")
	f.Fuzz(func(t *testing.T, data string) {
		c, err := Parse([]byte(data), "fuzz.yaml", sources.Kinds)
		if err != nil && releaselake.ClassOf(err) != releaselake.Invalid {
			t.Fatalf("error of class %s: %v", releaselake.ClassOf(err), err)
		}
		if err == nil && len(c.Products()) == 0 {
			t.Fatal("an empty catalog was accepted")
		}
	})
}
