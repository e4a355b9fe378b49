package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-co-op/gocron/v2"
)

// Schedule runs job on the cron spec (5 fields, e.g. "0 0 * * *") in loc until
// the returned stop function is called. A tick that comes while the previous
// run is still going is skipped.
func Schedule(spec string, loc *time.Location, log *slog.Logger, job func(ctx context.Context)) (stop func(), err error) {
	s, err := gocron.NewScheduler(gocron.WithLocation(loc))
	if err != nil {
		return nil, fmt.Errorf("new scheduler: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = s.NewJob(gocron.CronJob(spec, false), gocron.NewTask(func() { job(ctx) }),
		gocron.WithSingletonMode(gocron.LimitModeReschedule), gocron.WithName("ingest"))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	s.Start()
	log.Info("ingest scheduled", "cron", spec, "tz", loc.String())
	return func() {
		cancel()
		if err := s.Shutdown(); err != nil {
			log.Warn("scheduler shutdown", "err", err)
		}
	}, nil
}
