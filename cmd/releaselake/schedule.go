package main

import (
	"context"
	"time"

	"github.com/releaselake/releaselake"
)

// scheduledIngest runs the ingest of one schedule tick, unless another replica
// on the same lake claimed the tick first: several serve processes share one
// lake and run one ingest per tick.
func (m *Main) scheduledIngest(ctx context.Context, tick time.Time) {
	name := "tick-" + tick.UTC().Format("20060102T150405Z")
	ok, err := m.Lake.Claim(ctx, name)
	if err != nil {
		m.Log.Error("scheduled ingest: claim the tick", "tick", name, "err", err)
		return
	}
	if !ok {
		m.Log.Info("scheduled ingest: another replica runs this tick", "tick", name)
		return
	}
	m.Ingest(ctx, "schedule", nil) // the run record and the log say how it went
}

// firstIngest runs an ingest at start when the lake has never been ingested, so a
// new deployment has data without waiting for the first tick. One replica does it.
func (m *Main) firstIngest(ctx context.Context) {
	head, err := m.Lake.Head(ctx)
	if err != nil || head != releaselake.NoVersion {
		return
	}
	if runs, err := m.Lake.Runs(ctx, 1); err != nil || len(runs) > 0 {
		return
	}
	if ok, err := m.Lake.Claim(ctx, "first-ingest"); err != nil || !ok {
		return
	}
	m.Log.Info("the lake has never been ingested: running an ingest now")
	m.Ingest(ctx, "startup", nil)
}
