// Package catalog reads a product catalog from YAML (the embedded default or a file
// named by RELEASELAKE_CATALOG) into a validated releaselake.Catalog. Errors name the
// file, the line and the entry.
package catalog

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/releaselake/releaselake"
)

// Default returns the catalog embedded in the binary.
func Default() (*releaselake.Catalog, error) {
	return Parse(releaselake.DefaultCatalogYAML, "catalog.yaml (embedded)")
}

// Load reads and validates the catalog file at path.
func Load(path string) (*releaselake.Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, releaselake.Wrap(releaselake.Invalid, err, "read catalog")
	}
	return Parse(data, path)
}

// Parse validates YAML catalog data; name is used in error messages.
func Parse(data []byte, name string) (*releaselake.Catalog, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, releaselake.Errorf(releaselake.Invalid, "%s: %v", name, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, releaselake.Errorf(releaselake.Invalid, "%s: want a mapping with a products: list", name)
	}
	var list, listKey *yaml.Node
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		k := top.Content[i]
		if k.Value != "products" {
			return nil, releaselake.Errorf(releaselake.Invalid, "%s:%d: unknown top-level key %q", name, k.Line, k.Value)
		}
		// yaml.v3 keeps both of a key given twice in a node: the first list
		// would be dropped without a word.
		if listKey != nil {
			return nil, releaselake.Errorf(releaselake.Invalid, "%s:%d: products given twice (first at line %d)", name, k.Line, listKey.Line)
		}
		list, listKey = top.Content[i+1], k
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, releaselake.Errorf(releaselake.Invalid, "%s: want a products: list", name)
	}
	products := make([]releaselake.Product, 0, len(list.Content))
	for _, e := range list.Content {
		p, err := entry(e)
		if err != nil {
			return nil, releaselake.Errorf(releaselake.Invalid, "%s:%v", name, err)
		}
		products = append(products, p)
	}
	c, err := releaselake.NewCatalog(products)
	if err != nil {
		return nil, releaselake.Errorf(releaselake.Invalid, "%s: %s", name, releaselake.MessageOf(err))
	}
	return c, nil
}

// entry decodes one product entry; errors start with the line number.
func entry(n *yaml.Node) (releaselake.Product, error) {
	p := releaselake.Product{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return p, fmt.Errorf("%d: a product entry must be a mapping", n.Line)
	}
	// The key first, so every later message can name the entry.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "key" {
			p.Key = n.Content[i+1].Value
		}
	}
	seen := map[string]int{} // key -> its line
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%d: product %q: %s", k.Line, p.Key, fmt.Sprintf(format, args...))
		}
		if first, dup := seen[k.Value]; dup {
			return p, bad("%s given twice (first at line %d)", k.Value, first)
		}
		seen[k.Value] = k.Line
		if v.Kind != yaml.ScalarNode {
			return p, bad("%s must be a single value", k.Value)
		}
		var err error
		switch k.Value {
		case "key":
		case "name":
			p.Name = v.Value
		case "github":
			p.GitHub = v.Value
		case "tags":
			p.Tags, err = strconv.ParseBool(v.Value)
		case "tag_pattern":
			p.TagPattern, err = regexp.Compile(v.Value)
		case "pypi":
			p.PyPI = v.Value
		case "npm":
			p.NPM = v.Value
		case "maven":
			p.Maven = v.Value
		case "feed":
			p.Feed = v.Value
		case "page":
			p.Page = v.Value
		case "manual":
			p.Manual = v.Value
		case "version_pattern":
			p.VersionPattern, err = regexp.Compile(v.Value)
		case "date_pattern":
			p.DatePattern, err = regexp.Compile(v.Value)
		case "date_layout":
			p.DateLayout = v.Value
		default:
			return p, bad("unknown key %q", k.Value)
		}
		if err != nil {
			return p, bad("%s: %v", k.Value, err)
		}
	}
	if p.Key == "" {
		return p, fmt.Errorf("%d: product entry has no key", n.Line)
	}
	if err := patterns(p); err != nil {
		return p, fmt.Errorf("%d: product %q: %v", n.Line, p.Key, err)
	}
	return p, nil
}

// patterns checks the keys that say how a feed or a page is read: feeds need a
// version_pattern, pages a version_pattern and a date_pattern with a group, and
// no other source reads them.
func patterns(p releaselake.Product) error {
	switch {
	case p.Feed != "" || p.Page != "":
		if p.VersionPattern == nil {
			return fmt.Errorf("%s needs a version_pattern", p.Source())
		}
		if p.Page != "" && p.DatePattern == nil {
			return fmt.Errorf("page needs a date_pattern")
		}
		if p.Feed != "" && (p.DatePattern != nil || p.DateLayout != "") {
			return fmt.Errorf("date_pattern and date_layout apply to page products only: a feed entry has its own date")
		}
		if p.DatePattern != nil && p.DatePattern.NumSubexp() < 1 {
			return fmt.Errorf("date_pattern needs a capture group for the date")
		}
		// A layout is Go's reference time written the page's way; one without a
		// year is a layout written some other way ("YYYY-MM-DD").
		if p.DateLayout != "" && !strings.Contains(p.DateLayout, "06") {
			return fmt.Errorf("date_layout %q is not a Go time layout: write the date 2006-01-02 (Mon Jan 2) the way the page does, e.g. \"January 2, 2006\"", p.DateLayout)
		}
	case p.VersionPattern != nil || p.DatePattern != nil || p.DateLayout != "":
		return fmt.Errorf("version_pattern, date_pattern and date_layout apply to feed and page products only")
	}
	return nil
}
