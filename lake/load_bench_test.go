//go:build unix

package lake_test

import (
	"context"
	"flag"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/laketest"
	"github.com/releaselake/releaselake/lake/localfs"
	"github.com/releaselake/releaselake/serving"
)

var loadRows = flag.Int("load.rows", 100_000, "rows of the table BenchmarkLoad reads (issue 9 measures 1,000,000)")

// BenchmarkLoad is what serve does at start: read the newest version of a
// table of -load.rows rows (ScaleRows, one product per 100 rows) from local
// disk into its index (serving.Load over Store.ReadColumns). It reports wall and CPU ns, bytes and allocations
// per row, the heap the index holds once built, and how long a full garbage
// collection takes while it is held (runtime.GC: its mark work grows with the pointers
// the index holds, which is what queries pay for under load).
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
	var ix *serving.Index
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ix = nil
		var err error
		if ix, err = serving.Load(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := cpuTime(b) - cpu0
	runtime.ReadMemStats(&after)
	if ix.Rows() != n {
		b.Fatalf("index has %d rows; want %d", ix.Rows(), n)
	}
	perRow := float64(b.N) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/perRow, "ns/row")
	b.ReportMetric(float64(cpu.Nanoseconds())/perRow, "cpu-ns/row")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/perRow, "allocs/row")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/perRow, "B/row")
	runtime.GC()
	start := time.Now()
	const gcs = 5
	for range gcs {
		runtime.GC()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/gcs, "ms/gc-held")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/float64(n), "heap-B/row")
	runtime.KeepAlive(ix)
}

// cpuTime is the CPU time (user and system) of the process so far: on a
// shared machine it says more than the wall clock.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
