package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
	"github.com/robfig/cron/v3"
)

// HealthState is the name of the health state in the lake: _state/health.json.
const HealthState = "health"

// Health returns the per-product health as this process last read or wrote
// it (WatchHealth, and each run of this runner). Before either, it reads it
// from the lake once (a `releaselake push` shows what the runs recorded);
// zero if that fails.
func (r *Runner) Health() releaselake.Health {
	r.healthOnce.Do(func() {
		if r.health.Load() != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), finalSaveTimeout)
		defer cancel()
		h, err := r.readHealth(ctx)
		if err != nil {
			r.log().Warn("read the products' health", "err", err)
		}
		r.health.CompareAndSwap(nil, &h)
	})
	return *r.health.Load()
}

// WatchHealth reads the health state now and every poll until ctx ends, so a
// server sees what runs of other processes recorded. A failure to read it is
// logged when it begins or changes (the engine reports lake outages at length).
func (r *Runner) WatchHealth(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	var failing string
	for {
		if h, err := r.readHealth(ctx); err != nil {
			if err.Error() != failing && ctx.Err() == nil {
				r.log().Warn("read the products' health", "err", err)
			}
			failing = err.Error()
		} else {
			r.health.Store(&h)
			failing = ""
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Ingesting says whether this runner has a run in progress (a first ingest
// waiting for another replica's included), and since when.
func (r *Runner) Ingesting() (since time.Time, running bool) {
	if run := r.current.Load(); run != nil {
		return run.StartedAt, true
	}
	return time.Time{}, false
}

func (r *Runner) readHealth(ctx context.Context) (releaselake.Health, error) {
	var h releaselake.Health
	b, err := r.Lake.ReadState(ctx, HealthState)
	if err != nil || b == nil {
		return h, err
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("decode %s state: %w", HealthState, err)
	}
	return h, nil
}

// recordHealth folds a run that reached its end into the health state (read
// again under the run's lease: another process may have written it since).
// Like the run record, it is saved even when the run's context has ended.
func (r *Runner) recordHealth(ctx context.Context, log *slog.Logger, run releaselake.Run) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalSaveTimeout)
	defer cancel()
	h, err := r.readHealth(ctx)
	if err != nil {
		log.Warn("read the products' health; starting it again", "err", err)
	}
	h.Record(run)
	b, err := json.Marshal(h)
	if err == nil {
		err = r.Lake.WriteState(ctx, HealthState, b)
	}
	if err != nil {
		log.Warn("save the products' health", "err", err)
	}
	r.health.Store(&h)
}

// sourceFailed says why a whole source failed, or "" if it did not: when every
// product it was asked about failed, and there were at least two of them or
// the upstream refused the credentials (one product failing is a product
// failing, whatever the cause). When they all failed alike (a refused token,
// an unreachable host) the products' entries then refer to this error instead
// of repeating it.
func sourceFailed(kind string, ps []releaselake.RunProduct, errs []error) string {
	if len(ps) == 0 || len(errs) < len(ps) || (len(ps) == 1 && releaselake.ClassOf(errs[0]) != releaselake.Unauthorized) {
		return ""
	}
	for _, p := range ps {
		if p.Status != "failed" {
			return ""
		}
	}
	same := true
	for _, e := range errs[1:] {
		same = same && e.Error() == errs[0].Error()
	}
	if same {
		for i := range ps {
			ps[i].Error = ps[i].Reason + " (see the run's error)"
		}
		return fmt.Sprintf("%s: every product failed (%d): %v", kind, len(ps), errs[0])
	}
	return fmt.Sprintf("%s: every product failed (%d), e.g. %s: %v", kind, len(ps), ps[0].Product, errs[0])
}

// Reason says what err is in a few words, for a card on the page: the
// client-safe message of a classified error, else what the network or the
// server answered.
func Reason(err error) string {
	var dns *net.DNSError
	var status *httpfetch.StatusError
	var classified *releaselake.Error
	var op *net.OpError
	switch {
	case errors.Is(err, errNotAnswered):
		return errNotAnswered.Error()
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &dns):
		return "host not found: " + dns.Name
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &status):
		return status.Error()
	case errors.As(err, &classified) && classified.Err == nil:
		// The advice ("…: check GITHUB_TOKEN") is for operators, in the run's error.
		msg, _, _ := strings.Cut(classified.Message, ": check ")
		return short(msg)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &op) && op.Timeout():
		return "timed out"
	case errors.As(err, &op):
		return "host unreachable"
	}
	return short(err.Error())
}

// short drops a message's leading parts that name a URL ("page https://…: GET
// https://…: HTTP 500" -> "HTTP 500") and cuts it to at most 120 bytes.
func short(msg string) string {
	for {
		head, rest, ok := strings.Cut(msg, ": ")
		if !ok || !strings.Contains(head, "://") {
			break
		}
		msg = rest
	}
	if len(msg) > 120 {
		msg = strings.ToValidUTF8(msg[:119], "") + "…"
	}
	return msg
}

// SchedulePeriod is the longest gap between the next 8 ticks of a cron spec
// in loc (5 fields, or 6 with seconds, as Schedule takes them) after now: the
// interval within which a run is expected (releaselake.StaleWindow).
func SchedulePeriod(spec string, loc *time.Location, now time.Time) (time.Duration, error) {
	var sched cron.Schedule
	var err error
	withTZ := "CRON_TZ=" + loc.String() + " " + spec
	if len(strings.Fields(spec)) == 6 {
		sched, err = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor).Parse(withTZ)
	} else {
		sched, err = cron.ParseStandard(withTZ)
	}
	if err != nil {
		return 0, fmt.Errorf("schedule %q: %w", spec, err)
	}
	var longest time.Duration
	t := sched.Next(now)
	for range 8 {
		next := sched.Next(t)
		if next.IsZero() {
			break
		}
		longest = max(longest, next.Sub(t))
		t = next
	}
	return longest, nil
}
