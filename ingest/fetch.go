package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// DefaultTimeout is the deadline of a run's fetching when Runner.Timeout is 0
// (RELEASELAKE_INGEST_TIMEOUT).
const DefaultTimeout = 30 * time.Minute

// fetchParallel is how many sources fetch at once.
const fetchParallel = 3

// fetchGrace is how long a source that ignores the deadline is waited for
// before its products fail without it.
const fetchGrace = 10 * time.Second

// errNotAnswered is the error of a product its source had not answered when
// the run's deadline passed.
var errNotAnswered = errors.New("not answered within the run's deadline")

// fetchJob is one kind's products to fetch, and what its source answered.
type fetchJob struct {
	kind    string
	src     releaselake.Source // nil: skipped, for the reason in skip
	skip    string
	ps      []releaselake.Product
	crawls  []releaselake.Crawl
	fetched []releaselake.Fetched
	done    bool // Fetch returned (its stats may be read)
}

func (r *Runner) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout
}

// fetchAll runs the jobs' Fetch, fetchParallel at once in kind order, under
// the run's deadline: when it passes, the sources still fetching are
// cancelled and their unanswered products fail with a deadline error; what
// was fetched before is kept. late says whether the deadline passed.
func (r *Runner) fetchAll(ctx context.Context, jobs []*fetchJob) (late bool) {
	r.prepareAdvisories(ctx, jobs) // advisories.go: their first pages ride along
	d := r.timeout()
	fctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	results := make([]chan []releaselake.Fetched, len(jobs))
	sem := make(chan struct{}, fetchParallel)
	for i, j := range jobs {
		if j.src == nil {
			continue
		}
		results[i] = make(chan []releaselake.Fetched, 1)
		select {
		case sem <- struct{}{}:
		case <-fctx.Done(): // not started: its products fail with the deadline's error
			results[i] <- unanswered(j.crawls, fctx.Err())
			continue
		}
		go func() {
			defer func() { <-sem }()
			results[i] <- j.src.Fetch(fctx, j.crawls)
		}()
	}
	var grace <-chan time.Time
	for i, j := range jobs {
		if results[i] == nil {
			continue
		}
		select {
		case j.fetched = <-results[i]:
			j.done = true
			continue
		case <-fctx.Done():
		}
		if grace == nil {
			grace = time.After(fetchGrace)
		}
		select {
		case j.fetched = <-results[i]:
			j.done = true
		case <-grace: // the source ignores ctx: left behind
			j.fetched = unanswered(j.crawls, fctx.Err())
		}
	}
	if ctx.Err() != nil || fctx.Err() == nil {
		return false // a shutdown is not the deadline
	}
	for _, j := range jobs {
		for k, f := range j.fetched {
			if f.Err != nil && (errors.Is(f.Err, context.DeadlineExceeded) || errors.Is(f.Err, context.Canceled)) {
				j.fetched[k].Err = fmt.Errorf("%w of %s: %w", errNotAnswered, shortDuration(d), f.Err)
			}
		}
	}
	return true
}

// unanswered is the answer of crawls a source did not fetch: each fails with err.
func unanswered(crawls []releaselake.Crawl, err error) []releaselake.Fetched {
	out := make([]releaselake.Fetched, len(crawls))
	for i, c := range crawls {
		out[i] = releaselake.Fetched{Product: c.Product.Key, Err: err}
	}
	return out
}

// shortDuration is d without the zero tails time.Duration prints: 30m, not 30m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// byProduct groups rows by product without copying the rows of a product that
// are together, as a snapshot holds them (a million rows are 200 MB): each group
// is then a sub-slice of rows, capped so that appending to it copies.
func byProduct(rows []releaselake.Release) map[string][]releaselake.Release {
	m := map[string][]releaselake.Release{}
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].Product == rows[i].Product {
			j++
		}
		if have, ok := m[rows[i].Product]; ok { // not together: copy
			m[rows[i].Product] = append(have, rows[i:j]...)
		} else {
			m[rows[i].Product] = rows[i:j:j]
		}
		i = j
	}
	return m
}

// stateName is where a product's crawl state lives: _state/<kind>/<product>.json.
func stateName(kind, product string) string { return kind + "/" + product }
