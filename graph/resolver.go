// Package graph is the GraphQL gateway: gqlgen resolvers over the domain's
// in-memory Index, the handler with its transports and limits, and the error
// presenter. It sees the lake only through the functions in Resolver.
package graph

import (
	"context"

	"github.com/releaselake/releaselake"
)

// Resolver holds what the resolvers read. All fields are required.
type Resolver struct {
	Catalog *releaselake.Catalog
	// Index returns the index being served, nil until the first load.
	Index func() *releaselake.Index
	// Runs returns up to last ingest run records, newest first.
	Runs func(ctx context.Context, last int) ([]releaselake.Run, error)
	// Notices returns what an operator should know (e.g. GitHub not crawled).
	Notices func() []string
}

// index returns the served index, or an Unavailable error before the first load.
func (r *Resolver) index() (*releaselake.Index, error) {
	ix := r.Index()
	if ix == nil {
		return nil, releaselake.Errorf(releaselake.Unavailable, "the lake is not loaded yet; retry shortly")
	}
	return ix, nil
}
