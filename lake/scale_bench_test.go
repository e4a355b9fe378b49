//go:build unix

package lake_test

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/laketest"
	"github.com/releaselake/releaselake/lake/localfs"
)

var scaleRows = flag.Int("scale.rows", 100_000, "rows of the table BenchmarkScaleCommit and BenchmarkScaleSnapshot write and read (BENCHMARKS.md: 1,000,000)")

// BenchmarkScaleCommit: one Store.Commit of -scale.rows rows (ScaleRows) on
// local disk into a new table: sort, Parquet encoding of every file, stats,
// fingerprints, write, log entry.
func BenchmarkScaleCommit(b *testing.B) {
	rows := laketest.ScaleRows(*scaleRows, max(*scaleRows/100, 1))
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	defer func() { b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op") }()
	for b.Loop() {
		s := lake.Open(localfs.New(b.TempDir()))
		if _, err := s.Commit(ctx, releaselake.NoVersion, rows, releaselake.CommitInfo{RunID: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScaleCommitChanged: a commit on a table of -scale.rows rows in
// which one product (/one) or one product in a hundred (/1pct) has a new
// release, as an ingest makes it: the base rows are the snapshot it read
// (in the table's order), the new rows the same with each changed
// product's new row beside its others, and the base rows are handed to the
// commit (CommitInfo.Base). It measures the commit alone: cut and
// fingerprint every part, write the changed ones and the change set.
func BenchmarkScaleCommitChanged(b *testing.B) {
	products := max(*scaleRows/100, 1)
	for _, bc := range []struct {
		name  string
		every int // every how many products one changes
	}{{"one", products}, {"1pct", 100}} {
		b.Run(bc.name, func(b *testing.B) {
			s := lake.Open(localfs.New(b.TempDir()))
			ctx := context.Background()
			v, err := s.Commit(ctx, releaselake.NoVersion, laketest.ScaleRows(*scaleRows, products), releaselake.CommitInfo{RunID: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			snap, err := s.Snapshot(ctx)
			if err != nil {
				b.Fatal(err)
			}
			base := snap.Releases
			b.ReportAllocs()
			var cpu time.Duration
			defer func() { b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op") }()
			n := 0
			for b.Loop() {
				b.StopTimer()
				next := make([]releaselake.Release, 0, len(base)+len(base)/bc.every+1)
				seen := 0
				for i := range base {
					next = append(next, base[i])
					if i+1 == len(base) || base[i+1].Product != base[i].Product {
						if seen%bc.every == 0 {
							nr := base[i]
							nr.Tag = fmt.Sprintf("~bench-%d", n)
							next = append(next, nr)
						}
						seen++
					}
				}
				n++
				runtime.GC()
				cpu0 := cpuTime(b)
				b.StartTimer()
				if v, err = s.Commit(ctx, v, next, releaselake.CommitInfo{RunID: "bench", Base: base}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cpu += cpuTime(b) - cpu0
				base = next
				b.StartTimer()
			}
		})
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
