// Package graph is the GraphQL gateway: gqlgen resolvers over the serving engine's
// in-memory Index, the HTTP handler around them (transports, limits, CORS,
// caching, the admin token), and the error presenter; the shortcuts around
// gqlgen's executor are in graph/fastpath. It sees the lake only through the
// functions in Resolver.
package graph

import (
	"context"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// Resolver holds what the resolvers read and do. Catalog, Index, Runs and
// Notices are required; a nil RunIngest, PushPage, AsOf or ChangeFeed makes
// that feature answer UNAVAILABLE; Health, StaleWindow and Now are optional.
type Resolver struct {
	Catalog *releaselake.Catalog
	// Index returns the index being served, nil until the first load.
	Index func() *serving.Index
	// Runs returns up to last ingest run records, newest first.
	Runs func(ctx context.Context, last int) ([]releaselake.Run, error)
	// Notices returns what an operator should know (e.g. GitHub not crawled).
	Notices func() []string
	// RunIngest starts an ingest of products (all when empty) in the background
	// and returns its record, status running.
	RunIngest func(ctx context.Context, products []string) (releaselake.Run, error)
	// PushPage pushes the current snapshot to the page server now.
	PushPage func(ctx context.Context) (releaselake.PushResult, error)
	// AsOf returns the index of the lake as it was at t: the newest version
	// committed at or before t.
	AsOf func(ctx context.Context, t time.Time) (*serving.Index, error)
	// Health returns the products' health as the ingest runs recorded it; nil
	// knows none (every Product.status null).
	Health func() releaselake.Health
	// StaleWindow is how long a product may go without a success before it
	// is stale (releaselake.StaleWindow); 0: never stale (no schedule).
	StaleWindow time.Duration
	// Now is the clock of Product.status.stale [time.Now].
	Now func() time.Time
	// Broadcast tells subscriptions of each lake version loaded (graph/subscribe.go);
	// nil: no subscriptions (the streaming transports are off, releasePublished UNAVAILABLE).
	Broadcast *serving.Broadcaster

	// ChangeFeed reads the lake's change sets (Query.changes), and
	// VersionAsOf finds the version committed at or before an instant; nil
	// makes changes answer UNAVAILABLE.
	ChangeFeed  releaselake.ChangeFeed
	VersionAsOf func(ctx context.Context, t time.Time) (int64, error)
}

// status returns the GraphQL status of product key.
func (r *Resolver) status(key string) *ProductStatus {
	st := &ProductStatus{}
	if r.Health == nil {
		return st
	}
	p := r.Health().Product(key)
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	st.LastSuccessAt, st.LastErrorAt, st.FailingSince = at(p.LastSuccessAt), at(p.LastErrorAt), at(p.FailingSince)
	if p.LastError != "" {
		st.LastError = &p.LastError
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	st.Stale = p.Stale(now(), r.StaleWindow)
	return st
}

// index returns the index this request reads: the one pinned when the request
// came in (so that every field of a response and its cache key agree), else
// the one served now; an Unavailable error before the first load.
func (r *Resolver) index(ctx context.Context) (*serving.Index, error) {
	var ix *serving.Index
	if n := noteOf(ctx); n != nil {
		ix = n.ix
	} else {
		ix = r.Index()
	}
	if ix == nil {
		return nil, releaselake.Errorf(releaselake.Unavailable, "the lake is not loaded yet; retry shortly")
	}
	return ix, nil
}

// indexAt returns the index at asOf, or the current one when asOf is nil.
func (r *Resolver) indexAt(ctx context.Context, asOf *time.Time) (*serving.Index, error) {
	if asOf == nil {
		return r.index(ctx)
	}
	if r.AsOf == nil {
		return nil, releaselake.Errorf(releaselake.Unavailable, "asOf: this server cannot read older lake versions")
	}
	ix, err := r.AsOf(ctx, *asOf)
	if err == nil && ix == nil {
		err = releaselake.Errorf(releaselake.NotFound, "asOf: the lake has no version committed at or before %s", asOf.UTC().Format(time.RFC3339))
	}
	// A version newer than the pinned index (committed, not loaded yet) is
	// not what that index's ETag and response cache generation stand for.
	if pinned, _ := r.index(ctx); ix != nil && pinned != nil && ix.Version > pinned.Version {
		markVolatile(ctx)
	}
	return ix, err
}

// product returns the catalog entry of a release's product; a row of a product
// since removed from the catalog still has one, named by its key.
func (r *Resolver) product(key string) releaselake.Product {
	if p, ok := r.Catalog.Product(key); ok {
		return p
	}
	return releaselake.Product{Key: key, Name: key}
}

// description is a product's one-sentence description: the catalog's, nil
// when it gives none. The one place it is resolved (for gqlgen and the fast
// path), so another source (a repository's description) extends it here.
func (r *Resolver) description(p *releaselake.Product) *string {
	if p.Description != "" {
		return &p.Description
	}
	d, _ := r.fetchedFacts(p.Key)
	return optional(d)
}

// homepage is a product's home page: the catalog's, else its source's (GitHub's
// homepageUrl); nil where neither gives one.
func (r *Resolver) homepage(p *releaselake.Product) *string {
	if p.Homepage != "" {
		return &p.Homepage
	}
	_, h := r.fetchedFacts(p.Key)
	return optional(h)
}

// optional is s, or nil when it is empty (a fact the catalog does not give).
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// latest returns the greatest stable release of each product (catalog order
// when products is nil), at asOf: nil for a product with none. A key asked
// twice is answered twice: clients pair the answer with their list by
// position.
func (r *Resolver) latest(ctx context.Context, products []string, asOf *time.Time) ([]*releaselake.Release, error) {
	ks, err := r.selectKeys(products)
	if err != nil {
		return nil, err
	}
	if len(products) > 0 {
		ks = products // known, as selectKeys found
	}
	ix, err := r.indexAt(ctx, asOf)
	if err != nil {
		return nil, err
	}
	out := make([]*releaselake.Release, len(ks))
	for i, k := range ks {
		if rel, ok := ix.Latest(k); ok {
			out[i] = &rel
		}
	}
	return out, nil
}

// products returns the catalog's products matching search (all when nil).
func (r *Resolver) products(search *string) ([]releaselake.Product, error) {
	if search == nil {
		return r.Catalog.Products(), nil
	}
	if err := releaselake.CheckSearch(*search); err != nil {
		return nil, err
	}
	return releaselake.SearchProducts(r.Catalog.Products(), *search), nil
}
