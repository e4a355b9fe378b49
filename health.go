package releaselake

import (
	"fmt"
	"sort"
	"time"
)

// ProductHealth is how fetching one product has gone across ingest runs. Times
// are when the runs that saw it had committed (just before their send step).
type ProductHealth struct {
	LastSuccessAt time.Time `json:"lastSuccessAt,omitzero"` // last fetched (or found unchanged) and committed
	LastErrorAt   time.Time `json:"lastErrorAt,omitzero"`   // last failed
	LastError     string    `json:"lastError,omitempty"`    // that failure's message (its source's error when the whole source failed)
	Reason        string    `json:"reason,omitempty"`       // the same in a few words, for the page
	// FailingSince is the first failure after the last success; zero when the
	// product's last attempt succeeded (or it never failed).
	FailingSince time.Time `json:"failingSince,omitzero"`
}

// Failing reports whether the product's last attempt failed.
func (p ProductHealth) Failing() bool { return !p.FailingSince.IsZero() }

// Stale reports whether the product had no success within window before now:
// its last success is older than that, or it never had one and has been
// failing for longer. A product never tried is not stale (it is "never
// fetched"); a window of 0 (no schedule, so no expected interval) is never.
func (p ProductHealth) Stale(now time.Time, window time.Duration) bool {
	if window <= 0 {
		return false
	}
	since := p.LastSuccessAt
	if since.IsZero() {
		since = p.FailingSince
	}
	return !since.IsZero() && now.Sub(since) > window
}

// StaleWindow is how long a product may go without a success before it is
// stale, given the schedule's period (the longest gap between its ticks):
// two periods, so that one failed or missed run is not yet news, plus an hour
// for a run to finish. For the default daily schedule that is 49 hours, what
// the ReleaselakeProductStale alert waits (2 days, for 1 hour).
func StaleWindow(period time.Duration) time.Duration {
	if period <= 0 {
		return 0
	}
	return 2*period + time.Hour
}

// Health is the per-product health the ingest runs keep in the lake
// (_state/health.json), each run folding itself in after its commit.
type Health struct {
	Run       string                   `json:"run,omitempty"` // id of the last run folded in
	UpdatedAt time.Time                `json:"updatedAt,omitzero"`
	Products  map[string]ProductHealth `json:"products,omitempty"`
	// SourceErrors are the last run's sources that failed as a whole, by kind.
	SourceErrors map[string]string `json:"sourceErrors,omitempty"`
}

// Product returns the health of key; zero if it was never tried.
func (h Health) Product(key string) ProductHealth { return h.Products[key] }

// Record folds a finished run into h. A failed run (nothing committed) changes
// nothing; a cancelled one adds only its successes, since its failures are the
// shutdown's. Skipped products were not tried.
func (h *Health) Record(run Run) {
	if run.Status == RunFailed || run.Status == RunRunning {
		return
	}
	at := run.EndedAt
	if h.Products == nil {
		h.Products = map[string]ProductHealth{}
	}
	for _, rp := range run.Products {
		p := h.Products[rp.Product]
		switch {
		case rp.OK():
			p.LastSuccessAt, p.FailingSince = at, time.Time{}
		case rp.Status == "failed" && run.Status != RunCancelled:
			p.LastErrorAt, p.LastError, p.Reason = at, rp.Error, rp.Reason
			if e, ok := run.SourceErrors[rp.Source]; ok {
				p.LastError = e
			}
			if p.FailingSince.IsZero() {
				p.FailingSince = at
			}
		default:
			continue
		}
		h.Products[rp.Product] = p
	}
	h.Run, h.UpdatedAt = run.ID, at
	if run.Status != RunCancelled {
		h.SourceErrors = run.SourceErrors
	}
}

// Notices says, once per source, which sources failed as a whole in the last
// run, for lake { notices } and the page's banner.
func (h Health) Notices() []string {
	kinds := make([]string, 0, len(h.SourceErrors))
	for k := range h.SourceErrors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var out []string
	for _, k := range kinds {
		out = append(out, fmt.Sprintf("The last ingest (%s, %s) could not fetch any %s product: %s",
			h.Run, h.UpdatedAt.UTC().Format("2006-01-02 15:04 UTC"), k, h.SourceErrors[k]))
	}
	return out
}
