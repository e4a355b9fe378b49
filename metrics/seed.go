package metrics

import (
	"context"
	"slices"

	"github.com/releaselake/releaselake"
)

// SeedFromLake seeds the gauges of ingest runs (Seed) from every run record
// runs returns, on every new version: a restarted process, or a replica that
// did not run the ingest, would otherwise show no last success for any
// product until it ran one itself, and the staleness alerts could not fire.
// Products no longer in cat are left out: their last success only gets
// older, and the staleness alert would fire for them for ever. The error is
// runs'.
func (m *Metrics) SeedFromLake(ctx context.Context, runs func(ctx context.Context, last int) ([]releaselake.Run, error), cat *releaselake.Catalog) error {
	rs, err := runs(ctx, 0)
	if err != nil {
		return err
	}
	for i := range rs {
		rs[i].Products = slices.DeleteFunc(rs[i].Products, func(p releaselake.RunProduct) bool {
			_, ok := cat.Product(p.Product)
			return !ok
		})
	}
	m.Seed(rs)
	return nil
}
