// Package catalog reads a product catalog from YAML (the embedded default or a file
// named by RELEASELAKE_CATALOG) into a validated releaselake.Catalog. The source
// kinds it accepts are handed to it (ingest/sources.Kinds in the program). Errors
// name the file, the line and the entry.
package catalog

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/releaselake/releaselake"
)

// Default returns the catalog embedded in the binary.
func Default(kinds releaselake.SourceKinds) (*releaselake.Catalog, error) {
	return Parse(releaselake.DefaultCatalogYAML, "catalog.yaml (embedded)", kinds)
}

// Load reads and validates the catalog file at path.
func Load(path string, kinds releaselake.SourceKinds) (*releaselake.Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, releaselake.Wrap(releaselake.Invalid, err, "read catalog")
	}
	return Parse(data, path, kinds)
}

// Parse validates YAML catalog data naming the given kinds of source; name is
// used in error messages.
func Parse(data []byte, name string, kinds releaselake.SourceKinds) (*releaselake.Catalog, error) {
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
		p, err := entry(e, kinds)
		if err != nil {
			return nil, releaselake.Errorf(releaselake.Invalid, "%s%v", name, err)
		}
		products = append(products, p)
	}
	c, err := releaselake.NewCatalog(products)
	if err != nil {
		return nil, releaselake.Errorf(releaselake.Invalid, "%s: %s", name, releaselake.MessageOf(err))
	}
	return c, nil
}

// entry decodes one product entry. Its errors start with ":line: " (or
// ": line N: " for the count of sources, as releaselake.NewCatalog words its own).
func entry(n *yaml.Node, kinds releaselake.SourceKinds) (releaselake.Product, error) {
	p := releaselake.Product{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return p, fmt.Errorf(":%d: a product entry must be a mapping", n.Line)
	}
	// The key first, so every later message can name the entry, and the kind,
	// so that its options are read its way.
	nsources := 0
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1].Value
		if k == "key" {
			p.Key = v
		}
		if _, ok := kinds.Lookup(k); ok && v != "" {
			p.Kind, p.Ref = k, v
			nsources++
		}
	}
	kind, _ := kinds.Lookup(p.Kind)
	var foreign []string     // options of other kinds, in the entry's order
	seen := map[string]int{} // key -> its line
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		bad := func(format string, args ...any) error {
			return fmt.Errorf(":%d: product %q: %s", k.Line, p.Key, fmt.Sprintf(format, args...))
		}
		if first, dup := seen[k.Value]; dup {
			return p, bad("%s given twice (first at line %d)", k.Value, first)
		}
		seen[k.Value] = k.Line
		if k.Value == "package" {
			pkg, line, err := packageKey(v)
			if err != nil {
				return p, fmt.Errorf(":%d: product %q: package: %v", line, p.Key, err)
			}
			p.Package = pkg
			continue
		}
		if v.Kind != yaml.ScalarNode {
			return p, bad("%s must be a single value", k.Value)
		}
		if _, ok := kinds.Lookup(k.Value); ok || k.Value == "key" {
			continue
		}
		if k.Value == "name" {
			p.Name = v.Value
			continue
		}
		if f, ok := facts[k.Value]; ok {
			if err := f(&p, strings.TrimSpace(v.Value)); err != nil {
				return p, bad("%s: %v", k.Value, err)
			}
			continue
		}
		opt, ok := option(kind, k.Value)
		if !ok {
			others := accepting(kinds, k.Value)
			if len(others) == 0 {
				return p, bad("unknown key %q", k.Value)
			}
			opt, _ = option(others[0], k.Value)
		}
		val, err := opt.Parse(v.Value)
		if err != nil {
			return p, bad("%s: %v", k.Value, err)
		}
		if val == false || val == "" {
			continue // as if not given
		}
		if !ok {
			foreign = append(foreign, k.Value)
		}
		if p.Options == nil {
			p.Options = releaselake.Options{}
		}
		p.Options[k.Value] = val
	}
	if p.Key == "" {
		return p, fmt.Errorf(":%d: product entry has no key", n.Line)
	}
	if nsources != 1 {
		return p, fmt.Errorf(": line %d: product %q: needs exactly one source of %s (has %d)",
			n.Line, p.Key, strings.Join(kinds.Names(), ", "), nsources)
	}
	if p.Package != (releaselake.Package{}) && p.Kind != "" && releaselake.PackageOf(releaselake.Product{Kind: p.Kind, Ref: p.Ref}) != (releaselake.Package{}) {
		return p, fmt.Errorf(":%d: product %q: package: the %s source names the package already", seen["package"], p.Key, p.Kind)
	}
	if err := check(kinds, kind, p, foreign); err != nil {
		return p, fmt.Errorf(":%d: product %q: %v", n.Line, p.Key, err)
	}
	return p, nil
}

// maxFact bounds a product fact's length: a card shows it, it is not a document.
const maxFact = 300

// facts are the catalog keys every kind accepts: facts about the product, not
// about where its releases come from.
var facts = map[string]func(p *releaselake.Product, v string) error{
	"category": func(p *releaselake.Product, v string) error {
		return setFact(&p.Category, v, 60)
	},
	"description": func(p *releaselake.Product, v string) error {
		return setFact(&p.Description, v, maxFact)
	},
	"homepage": func(p *releaselake.Product, v string) error {
		u, ok := releaselake.SafeURL(v)
		if !ok || u == "" {
			return fmt.Errorf("want an http or https URL, got %q", v)
		}
		return setFact(&p.Homepage, u, maxFact)
	},
}

func setFact(dst *string, v string, limit int) error {
	if len(v) > limit {
		return fmt.Errorf("longer than %d bytes", limit)
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("contains a control character")
	}
	*dst = v
	return nil
}

// check refuses the options of other kinds, naming the kinds they apply to, then
// asks the product's kind.
func check(kinds releaselake.SourceKinds, kind releaselake.SourceKind, p releaselake.Product, foreign []string) error {
	if len(foreign) > 0 {
		others := accepting(kinds, foreign[0])
		var keys, names []string
		for _, o := range others[0].Options {
			if len(accepting(others, o.Key)) == len(others) {
				keys = append(keys, o.Key)
			}
		}
		for _, k := range others {
			names = append(names, k.Name)
		}
		verb := "apply"
		if len(keys) == 1 {
			verb = "applies"
		}
		return fmt.Errorf("%s %s to %s products only", and(keys), verb, and(names))
	}
	if kind.Check != nil {
		return kind.Check(p)
	}
	return nil
}

// option returns kind's option key.
func option(kind releaselake.SourceKind, key string) (releaselake.Option, bool) {
	for _, o := range kind.Options {
		if o.Key == key {
			return o, true
		}
	}
	return releaselake.Option{}, false
}

// accepting returns the kinds that read the option key.
func accepting(kinds releaselake.SourceKinds, key string) releaselake.SourceKinds {
	var out releaselake.SourceKinds
	for _, k := range kinds {
		if _, ok := option(k, key); ok {
			out = append(out, k)
		}
	}
	return out
}

// and lists words the English way: "a", "a and b", "a, b and c".
func and(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
