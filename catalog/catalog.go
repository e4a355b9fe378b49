// Package catalog reads a product catalog from YAML (the embedded default or a file
// named by RELEASELAKE_CATALOG) into a validated releaselake.Catalog. Errors name the
// file, the line and the entry.
package catalog

import (
	"fmt"
	"os"
	"regexp"
	"strconv"

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
	var list *yaml.Node
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		k := top.Content[i]
		if k.Value != "products" {
			return nil, releaselake.Errorf(releaselake.Invalid, "%s:%d: unknown top-level key %q", name, k.Line, k.Value)
		}
		list = top.Content[i+1]
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
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%d: product %q: %s", k.Line, p.Key, fmt.Sprintf(format, args...))
		}
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
	return p, nil
}
