package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/synth"
)

// runGen writes a synthetic catalog to -out/catalog.yaml and one ingest run's
// raw GitHub answers for it into the lake's red table, with a run record, so
// that `releaselake rebuild` with that catalog parses them into yellow. The
// lake should be empty: its run (one per seed) is written once.
func runGen(ctx context.Context, m *Main, stdout io.Writer) int {
	c := m.Config.Gen
	start := time.Now()
	fsys, err := openFS(m.Config.Lake)
	if err != nil { // a configuration error (HDFS), said as Run says them
		fmt.Fprintf(m.logOut, "releaselake gen: %s: %v\n", m.Config.Named("lake"), err)
		return 2
	}
	plan, err := synth.NewPlan(synth.Config{Products: c.Products, Releases: c.Releases, Seed: c.Seed})
	if err != nil {
		fmt.Fprintf(stdout, "gen: %v\n", err)
		return 2
	}
	catalog := filepath.Join(c.Out, "catalog.yaml")
	if err := plan.WriteCatalogFile(catalog); err != nil {
		fmt.Fprintf(stdout, "gen: %v\n", err)
		return 1
	}
	store := lake.Open(fsys, lake.WithLogger(newLogger(m.logOut, m.Config.LogFormat)))
	defer store.Close()
	id := plan.RunID()
	var size int64
	err = store.WriteRed(ctx, id, plan.At, releaselake.KindGitHub, func(w io.Writer) (err error) {
		size, err = plan.WriteRed(w)
		return err
	})
	if err != nil {
		fmt.Fprintf(stdout, "gen: %v\n", err)
		return 1
	}
	// The record is written after red (which refuses to replace a run's
	// file), as a run that crawled and committed nothing records it: yellow is
	// left to rebuild.
	run := releaselake.Run{ID: id, Trigger: "gen", Status: releaselake.RunSucceeded, StartedAt: plan.At,
		EndedAt: plan.At.Add(time.Since(start)), Version: releaselake.NoVersion,
		Steps: []releaselake.RunStep{{Name: "crawl", Started: plan.At, Duration: time.Since(start)}}}
	if err := store.SaveRun(ctx, run); err != nil {
		fmt.Fprintf(stdout, "gen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "generated %d products, %d releases: catalog %s, red %s (run %s, %d bytes) in %.1fs\n",
		len(plan.Products), plan.Rows(), catalog, lake.RedPath(id, plan.At, releaselake.KindGitHub), id, size,
		time.Since(start).Seconds())
	return 0
}
