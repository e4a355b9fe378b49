package ingest

import (
	"context"
	"log/slog"

	"github.com/releaselake/releaselake"
)

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
