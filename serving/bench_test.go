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
