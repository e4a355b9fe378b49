package graph

import (
	"context"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/graph/fastpath"
	"github.com/releaselake/releaselake/serving"
)

// Reading the fast path's arguments into graph's types (see fastpath.Args),
// with the same functions the generated code uses, so both paths accept
// exactly the same input. Each reports false on anything it does not accept:
// the fast path then leaves the field to gqlgen, which reports the error.

// readListArgs reads the arguments of Query.releases or Product.releases.
func readListArgs(raw fastpath.Args) (listArgs, bool) {
	var a listArgs
	var ok [11]bool
	a.Products, ok[0] = fastpath.ArgStrings(raw.Get("products"))
	a.Since, ok[1] = argTime(raw.Get("since"))
	a.Until, ok[2] = argTime(raw.Get("until"))
	a.Prerelease, ok[3] = fastpath.ArgBool(raw.Get("prerelease"))
	a.OrderBy, ok[4] = argOrder(raw.Get("orderBy"))
	a.First, ok[5] = fastpath.ArgInt(raw.Get("first"))
	a.After, ok[6] = fastpath.ArgString(raw.Get("after"))
	a.AsOf, ok[7] = argTime(raw.Get("asOf"))
	a.Last, ok[8] = fastpath.ArgInt(raw.Get("last"))
	a.Before, ok[9] = fastpath.ArgString(raw.Get("before"))
	a.SeenSince, ok[10] = argTime(raw.Get("seenSince"))
	for _, o := range ok {
		if !o {
			return a, false
		}
	}
	return a, true
}

// argTime reads a DateTime.
func argTime(v any) (*time.Time, bool) {
	if v == nil {
		return nil, true
	}
	t, err := UnmarshalDateTime(v)
	return &t, err == nil
}

// argOrder reads a ReleaseOrder input object, with its fields' defaults.
func argOrder(v any) (*ReleaseOrder, bool) {
	if v == nil {
		return nil, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	o := &ReleaseOrder{Field: ReleaseOrderFieldPublishedAt, Direction: OrderDirectionDesc}
	if f, present := m["field"]; present {
		if err := o.Field.UnmarshalGQL(f); err != nil {
			return nil, false
		}
	}
	if d, present := m["direction"]; present {
		if err := o.Direction.UnmarshalGQL(d); err != nil {
			return nil, false
		}
	}
	for k := range m {
		if k != "field" && k != "direction" {
			return nil, false
		}
	}
	return o, true
}

// fastSource is what the fast path reads (fastpath.Source): the resolvers'
// own functions.
type fastSource struct{ r *Resolver }

var _ fastpath.Source = fastSource{}

func (s fastSource) Catalog() *releaselake.Catalog          { return s.r.Catalog }
func (s fastSource) Served() *serving.Index                 { return s.r.Index() }
func (s fastSource) Time(v any) (*time.Time, bool)          { return argTime(v) }
func (s fastSource) Product(key string) releaselake.Product { return s.r.product(key) }

func (s fastSource) IndexAt(ctx context.Context, asOf *time.Time) (*serving.Index, error) {
	return s.r.indexAt(ctx, asOf)
}

func (s fastSource) Products(search *string) ([]releaselake.Product, bool) {
	ps, err := s.r.products(search)
	return ps, err == nil
}

func (s fastSource) Page(ctx context.Context, product string, args fastpath.Args) (*serving.Index, serving.Sort, serving.Page, bool) {
	a, ok := readListArgs(args)
	if !ok {
		return nil, serving.Sort{}, serving.Page{}, false
	}
	a.Product = product
	ix, q, pg, err := s.r.page(ctx, &a)
	return ix, q.Sort, pg, err == nil
}

func (s fastSource) AppendCursor(dst []byte, srt serving.Sort, rel *releaselake.Release) []byte {
	return appendCursor(dst, srt, rel)
}

func (s fastSource) AppendID(dst []byte, product, tag string, release bool) []byte {
	if release {
		return appendID(dst, typeRelease, product, tag)
	}
	return appendID(dst, typeProduct, product, "")
}

func (s fastSource) Description(p *releaselake.Product) *string { return s.r.description(p) }
func (s fastSource) Homepage(p *releaselake.Product) *string    { return s.r.homepage(p) }
