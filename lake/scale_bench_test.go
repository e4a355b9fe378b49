//go:build unix

package lake_test

import (
	"context"
	"flag"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/laketest"
	"github.com/releaselake/releaselake/lake/localfs"
)

var scaleRows = flag.Int("scale.rows", 100_000, "rows of the table BenchmarkScaleCommit and BenchmarkScaleSnapshot write and read (BENCHMARKS.md: 1,000,000)")

// BenchmarkScaleCommit: one Store.Commit of -scale.rows rows (ScaleRows) on
// local disk: sort, Parquet encoding, stats, write, log entry.
func BenchmarkScaleCommit(b *testing.B) {
	rows := laketest.ScaleRows(*scaleRows, max(*scaleRows/100, 1))
	s := lake.Open(localfs.New(b.TempDir()))
	ctx := context.Background()
	v := releaselake.NoVersion
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	defer func() { b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op") }()
	for b.Loop() {
		var err error
		if v, err = s.Commit(ctx, v, rows, releaselake.CommitInfo{RunID: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScaleSnapshot: Store.Snapshot of a table of -scale.rows rows: the
// columnar reader making Releases (what an ingest run reads).
func BenchmarkScaleSnapshot(b *testing.B) {
	s := lake.Open(localfs.New(b.TempDir()))
	ctx := context.Background()
	if _, err := s.Commit(ctx, releaselake.NoVersion, laketest.ScaleRows(*scaleRows, max(*scaleRows/100, 1)), releaselake.CommitInfo{RunID: "bench"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	defer func() { b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op") }()
	for b.Loop() {
		snap, err := s.Snapshot(ctx)
		if err != nil || len(snap.Releases) != *scaleRows {
			b.Fatal(err)
		}
	}
}
