package lake_test

import (
	"context"
	"flag"
	"runtime"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/laketest"
	"github.com/releaselake/releaselake/lake/localfs"
)

var loadRows = flag.Int("load.rows", 100_000, "rows of the table BenchmarkLoad reads (issue 9 measures 1,000,000)")

// BenchmarkLoad is what serve does at start: read the newest version of a
// table of -load.rows rows (ScaleRows, one product per 100 rows) from local
// disk and build its index. It reports ns, bytes and allocations per row, and
// the heap the index holds once built.
func BenchmarkLoad(b *testing.B) {
	n := *loadRows
	dir := b.TempDir()
	s := lake.Open(localfs.New(dir))
	ctx := context.Background()
	if _, err := s.Commit(ctx, releaselake.NoVersion, laketest.ScaleRows(n, max(n/100, 1)), releaselake.CommitInfo{RunID: "bench"}); err != nil {
		b.Fatal(err)
	}
	s = lake.Open(localfs.New(dir)) // cold: nothing cached from the commit
	runtime.GC()
	var ix *releaselake.Index
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ix = nil
		snap, err := s.Snapshot(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ix = releaselake.NewIndex(snap)
	}
	b.StopTimer()
	if ix.Rows() != n {
		b.Fatalf("index has %d rows; want %d", ix.Rows(), n)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/float64(n), "heap-B/row")
	runtime.KeepAlive(ix)
}
