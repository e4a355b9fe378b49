// Command commit-bench measures what an ingest run's commit costs on a lake
// besides crawling: read the newest yellow version (snapshot), merge the
// crawled products' rows with one new release each (merge), commit
// (Store.Commit alone), and how many bytes the commit wrote under yellow/
// against the live table's bytes. It prints one JSON object; run it under
// /usr/bin/time -v for the peak RSS. The lake is changed: run it on a copy.
//
//	go run ./scripts/commit-bench -lake DIR [-products N]
//
// -products 1 (the default) is a day with one new release, of the first
// product; -products 1000 a day with 1,000 changed products, chosen spread
// evenly over the products in key order, each with one new release. -drop N
// is a day when 9 of every 10 of the first N products left the catalog.
// CPUPROF=file profiles the whole run's CPU, COMMIT_CPUPROF=file Store.Commit's.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

func main() {
	dir := flag.String("lake", "", "lake root on local disk (changed: use a copy)")
	products := flag.Int("products", 1, "how many products get one new release each")
	drop := flag.Int("drop", 0, "instead, drop 9 of every 10 of the first N products in key order (their files get small: optimize has work)")
	flag.Parse()
	dropN = *drop
	if err := run(*dir, *products); err != nil {
		fmt.Fprintln(os.Stderr, "commit-bench:", err)
		os.Exit(1)
	}
}

func run(dir string, changed int) error {
	stop, err := profile("CPUPROF") // the whole run
	if err != nil {
		return err
	}
	defer stop()
	ctx := context.Background()
	if dir == "" {
		return fmt.Errorf("-lake is required")
	}
	if changed < 1 {
		return fmt.Errorf("-products %d: want at least 1", changed)
	}
	s := lake.Open(localfs.New(dir))
	defer s.Close()
	t0 := time.Now()
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return err
	}
	if len(snap.Releases) == 0 {
		return fmt.Errorf("the lake has no rows to add to")
	}
	t1 := time.Now()
	crawled, err := crawl(snap.Releases, changed, t0)
	if err != nil {
		return err
	}
	t1 = time.Now() // what the crawl found is the run's: only the merge is timed
	merged, d := ingest.Merge(snap.Releases, crawled, t0)
	if dropN > 0 {
		crawled = nil
		merged, d = dropProducts(snap.Releases, dropN)
	}
	t2 := time.Now()

	yellow := filepath.Join(dir, "yellow")
	before, err := files(yellow)
	if err != nil {
		return err
	}
	// As an ingest run commits (ingest/run.go): with the rows it read as Base,
	// so that the store need not read base again to tell what changed.
	info := releaselake.CommitInfo{RunID: ingest.NewRunID(t0), Operation: "INGEST", Base: snap.Releases}
	stopCommit, err := profile("COMMIT_CPUPROF") // Store.Commit alone
	if err != nil {
		return err
	}
	t3 := time.Now()
	v, err := s.Commit(ctx, snap.Version, merged, info)
	if err != nil {
		return err
	}
	t4 := time.Now()
	stopCommit()
	after, err := files(yellow)
	if err != nil {
		return err
	}
	written, kinds := newBytes(before, after)
	layout, err := s.Layout(ctx) // of the version committed
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"rows": len(merged), "products_changed": len(crawled), "added": d.Added, "version": v,
		"snapshot_s": t1.Sub(t0).Seconds(), "merge_s": t2.Sub(t1).Seconds(), "commit_s": t4.Sub(t3).Seconds(),
		"total_s":       t4.Sub(t0).Seconds(),
		"written_bytes": written, "written_by_kind": kinds, "table_bytes": layout.Bytes,
		"written_pct": 100 * float64(written) / float64(layout.Bytes), "files": layout.Files,
	})
}

// profile starts a CPU profile into the file the environment variable env
// names, if it names one, and returns what stops it.
func profile(env string) (stop func(), err error) {
	name := os.Getenv(env)
	if name == "" {
		return func() {}, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// crawl returns what a run that found one new release of each of n products
// hands to Merge: each product's rows and the new one. The products are
// spread evenly over the snapshot's products in key order (n 1: the first).
func crawl(rows []releaselake.Release, n int, at time.Time) (map[string][]releaselake.Release, error) {
	products := map[string]bool{}
	for i := range rows {
		products[rows[i].Product] = true
	}
	keys := slices.Sorted(maps.Keys(products))
	if n > len(keys) {
		return nil, fmt.Errorf("-products %d: the lake has %d products", n, len(keys))
	}
	crawled := make(map[string][]releaselake.Release, n)
	for i := range n {
		crawled[keys[i*len(keys)/n]] = nil
	}
	for _, r := range rows {
		if own, ok := crawled[r.Product]; ok {
			crawled[r.Product] = append(own, r)
		}
	}
	for p, own := range crawled {
		nr := own[0]
		nr.Tag, nr.Version, nr.Name = "v999.0.0-bench"+at.Format("150405"), "999.0.0", "bench"
		nr.PublishedAt = at
		crawled[p] = append(own, nr)
	}
	return crawled, nil
}

// dropN is -drop: how many products, first in key order, lose 9 in 10.
var dropN int

// dropProducts returns rows without 9 of every 10 of the first n products in
// key order: a day the catalog lost many products of one range.
func dropProducts(rows []releaselake.Release, n int) ([]releaselake.Release, ingest.Diff) {
	products := map[string]bool{}
	for i := range rows {
		products[rows[i].Product] = true
	}
	gone := map[string]bool{}
	for i, p := range slices.Sorted(maps.Keys(products)) {
		if i < n && i%10 != 0 {
			gone[p] = true
		}
	}
	var out []releaselake.Release
	var d ingest.Diff
	for _, r := range rows {
		if gone[r.Product] {
			d.Removed++
		} else {
			out = append(out, r)
		}
	}
	return out, d
}

// file is what files records of one file.
type file struct {
	size int64
	mod  time.Time
}

// files lists the files under dir (but _staging, whose files a commit renames
// into the table) by their path relative to dir.
func files(dir string) (map[string]file, error) {
	out := map[string]file{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "_staging" {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = file{fi.Size(), fi.ModTime()}
		return nil
	})
	return out, err
}

// newBytes sums the sizes of the files of after that are new or rewritten
// since before, in all and by kind: data files, change data, log (entries,
// checkpoints, _last_checkpoint).
func newBytes(before, after map[string]file) (int64, map[string]int64) {
	var sum int64
	kinds := map[string]int64{}
	for name, f := range after {
		if b, ok := before[name]; ok && b == f {
			continue
		}
		kind := "data"
		switch {
		case strings.HasPrefix(name, "_change_data"):
			kind = "change_data"
		case strings.HasPrefix(name, "_delta_log"):
			kind = "log"
		}
		sum += f.size
		kinds[kind] += f.size
	}
	return sum, kinds
}
