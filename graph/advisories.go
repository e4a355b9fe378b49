package graph

import (
	"context"
	"time"

	"github.com/releaselake/releaselake"
)

// Advisory lists: a product's, those affecting a release, those it fixes.
type advisoryList int

const (
	listProduct advisoryList = iota
	listAffecting
	listFixing
)

// advisories answers an advisory list of product (and version) from the
// advisories served with the request's index: none before they are loaded,
// or where the lake keeps none.
func (r *Resolver) advisories(ctx context.Context, product, version string, list advisoryList) ([]releaselake.Advisory, error) {
	ix, err := r.index(ctx)
	if err != nil {
		return nil, err
	}
	// Advisories are committed after yellow, and may change without a new
	// yellow version: not cached, no ETag.
	markVolatile(ctx)
	var out []releaselake.Advisory
	switch a := ix.Advisories(); list {
	case listProduct:
		out = a.Product(product)
	case listAffecting:
		out = a.Affecting(product, version)
	case listFixing:
		out = a.Fixing(product, version)
	}
	if out == nil {
		out = []releaselake.Advisory{}
	}
	return out, nil
}

// fetchedFacts returns what the product's source says of it (GitHub's
// repository description and homepage), "" where it says nothing: the
// fallback of Product.description and homepage where the catalog gives none.
// They are the served index's (facts have no versions): answers are cached and
// tagged by index and advisories together (httpLayer), so a change of facts
// without a new yellow version is never answered from an older answer.
func (r *Resolver) fetchedFacts(productKey string) (description, homepage string) {
	ix := r.Index()
	if ix == nil {
		return "", ""
	}
	return ix.Advisories().Facts(productKey)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonZero(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Advisory lists are not paginated: a product's are bounded by what the
// ingest keeps (at most 5,000 ranges a package, a few dozen in practice), and
// priced by what a large product holds, so that advisories of every release
// of a page, or of every product, are refused as over the complexity limit
// unless asked of fewer (docs/api.md, "Security advisories").
const (
	productAdvisoriesPrice = 50 // ranges a product with many advisories has (Django: about 100)
	releaseAdvisoriesPrice = 10 // of them affecting one release
	releaseFixesPrice      = 3  // of them one release fixes
)

func priceAdvisories(cfg *Config) {
	cfg.Complexity.Product.Advisories = func(child int) int { return 1 + productAdvisoriesPrice*child }
	cfg.Complexity.Release.Advisories = func(child int) int { return 1 + releaseAdvisoriesPrice*child }
	cfg.Complexity.Release.Fixes = func(child int) int { return 1 + releaseFixesPrice*child }
}
