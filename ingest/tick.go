package ingest

import (
	"context"
	"time"

	"github.com/releaselake/releaselake"
)

// RunTick runs the ingest of one schedule tick, unless another replica on the
// same lake claimed the tick first: several serve processes share one lake
// and run one ingest per tick.
func (r *Runner) RunTick(ctx context.Context, tick time.Time) {
	log := r.log()
	name := "tick-" + tick.UTC().Format("20060102T150405Z")
	ok, err := r.Lake.Claim(ctx, name)
	if err != nil {
		log.Error("scheduled ingest: claim the tick", "tick", name, "err", err)
		return
	}
	if !ok {
		log.Info("scheduled ingest: another replica runs this tick", "tick", name)
		return
	}
	// The run record and the log say how it went; a run that never began (the
	// shutdown came while it waited for another run) has neither.
	if run, err := r.Run(ctx, "schedule", nil); err != nil && run.ID == "" {
		log.Warn("scheduled ingest: not run", "tick", name, "err", err)
	}
}

// RunFirstIfEmpty runs an ingest at start when the lake has no committed
// version, so a new deployment has data without waiting for the first tick
// (RunFirst says how replicas starting together take turns).
func (r *Runner) RunFirstIfEmpty(ctx context.Context) {
	head, err := r.Lake.Head(ctx)
	if err != nil || head != releaselake.NoVersion {
		return
	}
	log := r.log()
	log.Info("the lake has no committed version: running a first ingest now")
	if _, ran, err := r.RunFirst(ctx); err != nil {
		log.Error("first ingest", "err", err) // the run record says more, if it got that far
	} else if !ran {
		log.Info("first ingest: another replica did it")
	}
}
