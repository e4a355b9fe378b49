package serving

import (
	"fmt"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

// BenchmarkLines measures a product's lines at LineMinor: cold, the walk a
// product's first ask makes (rails: 552 real tags; a synthetic product of
// 100,000 releases in 1,000 lines), and warm, the copy every later ask
// makes. go test -run '^$' -bench Lines ./serving
func BenchmarkLines(b *testing.B) {
	ix, _ := fixtureIndex(b)
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	var big []releaselake.Release
	for i := range 100_000 {
		v := fmt.Sprintf("%d.%d.%d", i/10_000, (i/100)%100, i%100)
		big = append(big, releaselake.Release{Product: "big", Tag: "v" + v, Version: v, PublishedAt: start.Add(time.Duration(i) * time.Hour)})
	}
	bigIx := NewIndex(releaselake.Snapshot{Version: 1, CommittedAt: start.AddDate(12, 0, 0), Releases: big})
	for _, c := range []struct {
		name    string
		ix      *Index
		product string
	}{{"rails", ix, "rails"}, {"100k", bigIx, "big"}} {
		pi := c.ix.products[c.product]
		b.Run("cold/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.ix.linesOf(pi.order[ByVersion], releaselake.LineMinor)
			}
		})
		b.Run("warm/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.ix.Lines(c.product, releaselake.LineMinor, 100)
			}
		})
	}
}
