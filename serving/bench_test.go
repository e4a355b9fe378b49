package serving_test

import (
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake/laketest"
	"github.com/releaselake/releaselake/serving"
)

// BenchmarkNewIndex builds the index of 200,000 rows of 2,000 products
// (laketest.ScaleRows) from Releases: the builder's share of a load, without
// the Parquet decoding BenchmarkLoad (lake) adds.
func BenchmarkNewIndex(b *testing.B) {
	snap := releaselake.Snapshot{Version: 1, Releases: laketest.ScaleRows(200_000, 2_000)}
	b.ReportAllocs()
	for b.Loop() {
		serving.NewIndex(snap)
	}
}

// BenchmarkPage_seenSince pages 1,000,000 rows of 10,000 products
// (laketest.ScaleRows: a fifth of them first seen after the first run) by
// seenSince: the rows of the last day's run, and all those after the first
// run (the most rows a page sorts: 200,000), beside no seenSince.
func BenchmarkPage_seenSince(b *testing.B) {
	rows := laketest.ScaleRows(1_000_000, 10_000)
	ix := serving.NewIndex(releaselake.Snapshot{Version: 1, Releases: rows})
	byFirstSeen := ix.Page(serving.Query{Sort: serving.Sort{Key: serving.ByFirstSeen}, First: ix.Rows()})
	newest := ix.Row(int(byFirstSeen.Rows[0])).FirstSeenAt
	fifth := ix.Row(int(byFirstSeen.Rows[ix.Rows()/5-1])).FirstSeenAt
	for _, bc := range []struct {
		name string
		q    serving.Query
	}{
		{"last day, first 100", serving.Query{Filter: serving.Filter{SeenSince: &newest}, First: 100}},
		{"a fifth, first 100", serving.Query{Filter: serving.Filter{SeenSince: &fifth}, First: 100}},
		{"a fifth, by version, first 100", serving.Query{Filter: serving.Filter{SeenSince: &fifth}, Sort: serving.Sort{Key: serving.ByVersion}, First: 100}},
		{"no seenSince, first 100", serving.Query{First: 100}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				ix.Page(bc.q)
			}
		})
	}
}

// BenchmarkRelease_byTag looks releases up by tag (node, nodes,
// release(tag:)) among 3,700 releases of a product (laketest.ScaleRows:
// 37,000 rows of 10 products), every row of one product in turn.
func BenchmarkRelease_byTag(b *testing.B) {
	ix := serving.NewIndex(releaselake.Snapshot{Version: 1, Releases: laketest.ScaleRows(37_000, 10)})
	product := ix.Row(0).Product
	pg := ix.Page(serving.Query{Filter: serving.Filter{Products: []string{product}}, First: ix.Rows()})
	tags := make([]string, len(pg.Rows))
	for i, r := range pg.Rows {
		tags[i] = ix.Row(int(r)).Tag
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok := ix.Release(product, tags[i%len(tags)]); !ok {
			b.Fatal("not found")
		}
		i++
	}
}
