package ingest

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/releaselake/releaselake"
)

// leased is an ingest lease already held: its context and its release.
type leased struct {
	ctx     context.Context
	release func()
}

// lease takes the lake's ingest lease, waiting while another process's run holds
// it, and keeps it renewed. The returned context ends if the lease is lost, so a
// run that lost it stops before committing; release gives it up.
func (r *Runner) lease(ctx context.Context, log *slog.Logger) (context.Context, func(), error) {
	r.ownerOnce.Do(func() {
		if r.Owner == "" {
			host, _ := os.Hostname()
			r.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), uuid.NewString()[:8])
		}
	})
	owner := r.Owner
	ttl := cmp.Or(r.LeaseTTL, time.Minute)
	deadline := r.now().Add(cmp.Or(r.LeaseWait, 10*time.Minute))
	var l releaselake.Lease
	for {
		var err error
		l, err = r.Lake.AcquireLease(ctx, "ingest", owner, ttl)
		if err == nil {
			break
		}
		if releaselake.ClassOf(err) != releaselake.Conflict || r.now().After(deadline) {
			return ctx, nil, fmt.Errorf("take the ingest lease: %w", err)
		}
		log.Info("waiting for another ingest to finish", "why", releaselake.MessageOf(err))
		select {
		case <-ctx.Done():
			return ctx, nil, ctx.Err()
		case <-time.After(min(ttl/4, 5*time.Second)):
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := l.Renew(ctx); err != nil {
					log.Error("ingest lease lost: stopping the run before it commits", "err", err)
					cancel(err)
					return
				}
			}
		}
	}()
	return ctx, func() {
		close(done)
		cancel(nil)
		if err := l.Release(context.WithoutCancel(ctx)); err != nil {
			log.Warn("release the ingest lease", "err", err)
		}
	}, nil
}
