package releaselake

import "context"

// Source crawls one kind of upstream (GitHub, PyPI, ...). Fetching and parsing are
// separate so that the yellow table can always be rebuilt from the raw answers kept
// in the red table.
type Source interface {
	// Kind is the Product.Source value this source serves, also the red file's name.
	Kind() string
	// Fetch asks upstream about each product and returns, per product in the same
	// order, the raw answers (one JSON document each) or the error that stopped it.
	Fetch(ctx context.Context, products []Product) []Fetched
	// Parse turns the raw answers of one product into release rows (FirstSeenAt
	// left zero). It uses nothing but its arguments.
	Parse(p Product, raw [][]byte) (Parsed, error)
}

// Fetched is what Source.Fetch got for one product.
type Fetched struct {
	Product string
	Raw     [][]byte // raw upstream answers, one JSON document each
	Err     error
}

// Parsed is what Source.Parse made of one product's answers.
type Parsed struct {
	Releases []Release
	Ignored  int // upstream tags or entries that are not versions
}
