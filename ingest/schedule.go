package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-co-op/gocron/v2"
)

// Scheduled is a running ingest schedule.
type Scheduled struct {
	s      gocron.Scheduler
	job    gocron.Job
	cancel context.CancelFunc
	log    *slog.Logger
}

// Schedule runs job on the cron spec in loc until Stop: 5 fields (e.g.
// "0 0 * * *"), or 6 with seconds first. A tick that comes while the previous run
// is still going is skipped. job gets the tick's time, cut to the spec's
// granularity, so that replicas whose clocks differ a little name a tick alike.
func Schedule(spec string, loc *time.Location, log *slog.Logger, job func(ctx context.Context, tick time.Time)) (*Scheduled, error) {
	s, err := gocron.NewScheduler(gocron.WithLocation(loc))
	if err != nil {
		return nil, fmt.Errorf("new scheduler: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	seconds := len(strings.Fields(spec)) == 6
	grain := time.Minute
	if seconds {
		grain = time.Second
	}
	j, err := s.NewJob(gocron.CronJob(spec, seconds), gocron.NewTask(func() { job(ctx, time.Now().UTC().Truncate(grain)) }),
		gocron.WithSingletonMode(gocron.LimitModeReschedule), gocron.WithName("ingest"))
	if err != nil {
		cancel()
		s.Shutdown()
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	s.Start()
	sc := &Scheduled{s: s, job: j, cancel: cancel, log: log}
	next, _ := sc.NextRun()
	log.Info("ingest scheduled", "cron", spec, "tz", loc.String(), "next", next)
	return sc, nil
}

// NextRun returns when the job runs next.
func (sc *Scheduled) NextRun() (time.Time, error) { return sc.job.NextRun() }

// Stop stops the schedule; a run in progress has its context cancelled.
func (sc *Scheduled) Stop() {
	sc.cancel()
	if err := sc.s.Shutdown(); err != nil {
		sc.log.Warn("scheduler shutdown", "err", err)
	}
}
