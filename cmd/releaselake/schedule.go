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
	// The run record and the log say how it went; a run that never began (the
	// shutdown came while it waited for another run) has neither.
	if run, err := m.Ingest(ctx, "schedule", nil); err != nil && run.ID == "" {
		m.Log.Warn("scheduled ingest: not run", "tick", name, "err", err)
	}
}

// firstIngest runs an ingest at start when the lake has no committed version, so
// a new deployment has data without waiting for the first tick. Replicas starting
// together take turns on the ingest lease and only the first finds the lake empty
// (Runner.RunFirst); a first ingest killed before it committed is done again by
// the next replica to start.
func (m *Main) firstIngest(ctx context.Context) {
	head, err := m.Lake.Head(ctx)
	if err != nil || head != releaselake.NoVersion {
		return
	}
	m.Log.Info("the lake has no committed version: running a first ingest now")
	if _, ran, err := m.Runner.RunFirst(ctx); err != nil {
		m.Log.Error("first ingest", "err", err) // the run record says more, if it got that far
	} else if !ran {
		m.Log.Info("first ingest: another replica did it")
	}
}
