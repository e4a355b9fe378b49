package releaselake

import (
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// DefaultCatalogYAML is the default product catalog (catalog.yaml), embedded in the
// binary. Package catalog parses it.
//
//go:embed catalog.yaml
var DefaultCatalogYAML []byte

// DefaultManualFiles holds the files of releases kept by hand that the default
// catalog names (manual: releases/queryme.yaml), embedded beside it: a relative
// manual path of the default catalog is read from here.
//
//go:embed releases/*.yaml
var DefaultManualFiles embed.FS

var productKey = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Catalog is the validated list of products the lake tracks, in catalog order.
type Catalog struct {
	products []Product
	byKey    map[string]int
}

// NewCatalog validates products and returns them as a catalog. It refuses an
// empty or malformed key, a duplicate key, and an entry with no source; each
// error names the entry and its line. What a kind's options mean is checked by
// package catalog, which knows the kinds.
func NewCatalog(products []Product) (*Catalog, error) {
	c := &Catalog{byKey: make(map[string]int, len(products))}
	for _, p := range products {
		where := fmt.Sprintf("line %d: product %q", p.Line, p.Key)
		if !productKey.MatchString(p.Key) {
			return nil, Errorf(Invalid, "%s: key must match %s", where, productKey)
		}
		if i, dup := c.byKey[p.Key]; dup {
			return nil, Errorf(Invalid, "%s: duplicate key (first at line %d)", where, c.products[i].Line)
		}
		if p.Kind == "" || p.Ref == "" {
			return nil, Errorf(Invalid, "%s: needs a source: Kind and Ref must be set", where)
		}
		if p.Name == "" {
			p.Name = p.Key
		}
		c.byKey[p.Key] = len(c.products)
		c.products = append(c.products, p)
	}
	if len(c.products) == 0 {
		return nil, Errorf(Invalid, "catalog has no products")
	}
	return c, nil
}

// Products returns every product in catalog order. The slice is shared: do not modify it.
func (c *Catalog) Products() []Product { return c.products }

// Product returns the product with the given key.
func (c *Catalog) Product(key string) (Product, bool) {
	i, ok := c.byKey[key]
	if !ok {
		return Product{}, false
	}
	return c.products[i], true
}

// Select returns the products with the given keys in the order given, duplicates
// removed; no keys means every product. Unknown keys give an Invalid error that
// names all of them.
func (c *Catalog) Select(keys []string) ([]Product, error) {
	if len(keys) == 0 {
		return c.products, nil
	}
	var out []Product
	var unknown []string
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		if p, ok := c.Product(k); ok {
			out = append(out, p)
		} else {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, Errorf(Invalid, "unknown product key(s): %s", strings.Join(unknown, ", "))
	}
	return out, nil
}
