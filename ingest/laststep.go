package ingest

import (
	"context"
	"log/slog"

	"github.com/releaselake/releaselake"
)

// lastSteps runs the steps after the commit, in order: webhooks (told the
// version the run committed), send, and compact. Compact runs only after a
// run that committed and was not cancelled; last, so that it delays no one's
// news, and with the ingest lease still held, so that another process's run
// does not race it.
func (r *Runner) lastSteps(ctx context.Context, log *slog.Logger, run *releaselake.Run, cancelled bool) {
	if r.Deliver != nil {
		r.lastStep(ctx, log, run, "webhooks", func(ctx context.Context) error { return r.Deliver(ctx, run.Version) })
	}
	if r.Send != nil {
		r.lastStep(ctx, log, run, "send", r.Send)
	}
	if r.Compact != nil && run.Version != releaselake.NoVersion && !cancelled {
		r.lastStep(ctx, log, run, "compact", r.Compact)
	}
}

// lastStep runs one of the steps after the commit (webhooks, send, compact): its
// error is recorded in the run's step of that name and logged, and never
// fails the run; the step itself retries on the next run.
func (r *Runner) lastStep(ctx context.Context, log *slog.Logger, run *releaselake.Run, name string, do func(context.Context) error) {
	start := r.now()
	err := do(ctx)
	r.step(run, name, start, err)
	if err != nil {
		log.Warn(name+" failed; retried on the next run", "err", err)
	}
}
