// Command commit-bench measures what an ingest run with one new release costs
// on a lake besides crawling: read the newest yellow version, merge the one
// product's rows with one new release, commit. It prints the timing of each
// step as JSON; run it under /usr/bin/time -v for the peak RSS.
//
//	go run ./scripts/commit-bench -lake DIR
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

func main() {
	dir := flag.String("lake", "", "lake root on local disk")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "commit-bench:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if p := os.Getenv("CPUPROF"); p != "" {
		f, _ := os.Create(p)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	if dir == "" {
		return fmt.Errorf("-lake is required")
	}
	s := lake.Open(localfs.New(dir))
	t0 := time.Now()
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return err
	}
	if len(snap.Releases) == 0 {
		return fmt.Errorf("the lake has no rows to add to")
	}
	t1 := time.Now()
	// One new release of the first row's product, as a run that crawled it would
	// hand to Merge: the product's rows and the new one.
	p := snap.Releases[0].Product
	var rows []releaselake.Release
	for _, r := range snap.Releases {
		if r.Product == p {
			rows = append(rows, r)
		}
	}
	nr := rows[0]
	nr.Tag, nr.Version, nr.Name = "v999.0.0-bench"+t0.Format("150405"), "999.0.0", "bench"
	nr.PublishedAt = t0
	rows = append(rows, nr)
	merged, d := ingest.Merge(snap.Releases, map[string][]releaselake.Release{p: rows}, t0)
	t2 := time.Now()
	v, err := s.Commit(ctx, snap.Version, merged, releaselake.CommitInfo{RunID: ingest.NewRunID(t0), Operation: "INGEST"})
	if err != nil {
		return err
	}
	t3 := time.Now()
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"rows": len(merged), "added": d.Added, "version": v,
		"snapshot_s": t1.Sub(t0).Seconds(), "merge_s": t2.Sub(t1).Seconds(), "commit_s": t3.Sub(t2).Seconds(),
		"total_s": t3.Sub(t0).Seconds(),
	})
}
