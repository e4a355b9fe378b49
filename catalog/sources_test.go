package catalog

import (
	"strings"
	"testing"

	"github.com/releaselake/releaselake/ingest/sources"
)

func TestParse_feedAndPageKeys(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"feed without pattern", "products:\n  - key: a\n    feed: https://x/feed\n", `:2: product "a": feed needs a version_pattern`},
		{"page without date", "products:\n  - key: a\n    page: https://x\n    version_pattern: 'v(\\d+\\.\\d+)'\n", `:2: product "a": page needs a date_pattern`},
		{"date without group", "products:\n  - key: a\n    page: https://x\n    version_pattern: 'v(\\d+\\.\\d+)'\n    date_pattern: 'datetime'\n", "date_pattern needs a capture group"},
		{"layout not Go's", "products:\n  - key: a\n    page: https://x\n    version_pattern: 'v(\\d+\\.\\d+)'\n    date_pattern: '(\\d+)'\n    date_layout: YYYY-MM-DD\n", `date_layout "YYYY-MM-DD" is not a Go time layout`},
		{"feed with a date pattern", "products:\n  - key: a\n    feed: https://x\n    version_pattern: 'v(\\d+\\.\\d+)'\n    date_pattern: '(\\d+)'\n", "apply to page products only"},
		{"pattern on pypi", "products:\n  - key: a\n    pypi: a\n    version_pattern: '(\\d+)'\n", "apply to feed and page products only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "test.yaml", sources.Kinds)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	ok := "products:\n  - key: a\n    page: https://x\n    version_pattern: 'v(\\d+\\.\\d+)'\n    date_pattern: '(\\w+ \\d+, \\d{4})'\n    date_layout: 'January 2, 2006'\n"
	if _, err := Parse([]byte(ok), "test.yaml", sources.Kinds); err != nil {
		t.Fatal(err)
	}
}

func TestDefault_closedSourceAndInHouseEntries(t *testing.T) {
	c, err := Default(sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	tableau, _ := c.Product("tableau")
	powerbi, _ := c.Product("powerbi")
	queryme, _ := c.Product("queryme")
	if !strings.HasPrefix(tableau.Ref, "https://") || tableau.Options.Regexp("version_pattern") == nil || tableau.Options.Regexp("date_pattern") == nil {
		t.Errorf("tableau %+v", tableau)
	}
	if !strings.HasPrefix(powerbi.Ref, "https://") || powerbi.Options.Regexp("version_pattern").SubexpIndex("year") < 0 || powerbi.Options.Regexp("version_pattern").SubexpIndex("month") < 0 {
		t.Errorf("powerbi %+v", powerbi)
	}
	if queryme.Ref != "releases/queryme.yaml" {
		t.Errorf("queryme %+v", queryme)
	}
}
