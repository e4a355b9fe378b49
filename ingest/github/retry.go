package github

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/releaselake/releaselake"
)

// The retry policy for answers that may not come again: a 502 or 504 (GitHub
// ran out of time), another 5xx, a connection lost or cut mid-answer, a
// request past Timeout. docs/github.md, "Retries and page sizes", gives the
// reasons for the numbers.
const (
	// triesPerSize is how many times in a row a request may fail before it is
	// made lighter: until then it is sent again as it was.
	triesPerSize = 3
	// retryBase is the wait after a first failed answer (a 5xx); it doubles
	// on each in a row, up to retryCap. No answer at all (a refused or cut
	// connection, a timeout) starts from Config.Backoff instead [60 s].
	retryBase = 2 * time.Second
	retryCap  = 60 * time.Second
	maxPage   = 100 // GitHub's largest page
	minPage   = 5   // the smallest page a timeout shrinks to
	pageStep  = 10  // the page grows by this much after each page read
	// productBudget is how many more failed requests than pages read a product
	// may have in a run before it fails. A failed request counts 1/n for each
	// of the n repositories it asked about, so a shared failure does not use
	// up the budgets of the others.
	productBudget = 10
	// maxFailsInARow is how many requests in a row may fail (any of the above)
	// before the crawl stops: GitHub is down, not tired of one repository.
	// Splitting one that GitHub always fails on out of a batch of 100 and
	// spending its budget takes at most 27 failures in a row (3 at each of 100,
	// 50, 25, 12, 6 and 3 repositories, then its budget's rest alone).
	maxFailsInARow = 4 * productBudget
)

// retry is what the retry policy keeps across one Fetch's requests.
type retry struct {
	silent int // requests in a row that got no answer at all
	failed int // requests in a row that failed
}

// backoff is the wait after the n-th failure in a row of one request:
// exponential from base (up to 16 times base, and retryCap for a failed
// answer), the upper half of it random ("equal jitter"), so that the retries
// of many crawlers do not line up.
func (s *Source) backoff(n int, answered bool) time.Duration {
	base, ceiling := s.cfg.Backoff, 16*s.cfg.Backoff
	if answered {
		base, ceiling = retryBase, retryCap
	}
	d := min(base<<min(n-1, 4), ceiling)
	return d/2 + time.Duration(s.cfg.Jitter()*float64(d/2))
}

// charge spends the retry budget of the jobs of a failed request, 1/len(batch)
// each, and fails those whose budget is spent. It reports whether any failed.
func (s *Source) charge(batch []*job, why string, log *slog.Logger) (dropped bool) {
	for _, j := range batch {
		j.spent += 1 / float64(len(batch))
		if j.spent >= productBudget-1e-9 {
			j.err = releaselake.Errorf(releaselake.Unavailable,
				"github %s: given up after %d failed requests more than pages read (last: %s, at %d items a page); the rows it had stay", j.r, productBudget, why, j.first)
			log.Warn("github: giving up on a repository for this run", "repo", j.r.String(), "product", j.p.Key, "why", why, "page_size", j.first)
			dropped = true
		}
	}
	return dropped
}

// answered is the policy's part in a page read: the job's budget is paid
// back by one, and after timeouts its pages grow back (additive increase),
// up to the configured size or, once a larger page failed, to the last size
// that worked.
func (s *Source) answered(j *job) {
	j.spent = max(0, j.spent-1)
	if j.first >= j.size {
		j.good = max(j.good, j.first) // a page at the limit worked
	}
	top := s.cfg.PageSize
	if j.ceil > 0 {
		top = min(top, j.ceil)
	}
	if j.size < top {
		j.size = min(top, j.size+pageStep)
	}
}

// probing reports whether batch is one repository asking for a page larger
// than any it got in this run (a page grown after a timeout): a timeout there
// sends it back to the last size that worked at once, for the rest of the run,
// without the retries a size known to work gets.
func probing(batch []*job) bool {
	if len(batch) != 1 {
		return false
	}
	j := batch[0]
	return j.heavy && j.good > 0 && j.first > j.good
}

// back returns a lone repository whose larger page timed out to the last size
// that worked, which becomes its ceiling for the run.
func (s *Source) back(j *job, why string, log *slog.Logger) []*job {
	j.retries++
	j.size, j.ceil = j.good, j.good
	j.first = j.good
	log.Info("github timed out on a larger page: back to the last size that worked", "repo", j.r.String(), "page_size", j.first, "why", why)
	return []*job{j}
}

// lighten answers a request that failed triesPerSize times in a row at a
// size: a batch is split in two, a lone repository gets pages half as large
// (multiplicative decrease, down to minPage) and goes alone from then on.
func (s *Source) lighten(batch []*job, why string, log *slog.Logger) []*job {
	if len(batch) > 1 {
		log.Info("github timed out: splitting the batch", "repositories", len(batch), "why", why)
		for _, j := range batch {
			j.cap = len(batch) / 2 // takeBatch puts at most this many together again
		}
		return batch
	}
	j := batch[0]
	j.retries++
	j.heavy = true
	j.size = max(minPage, min(j.size, j.first)/2)
	j.first, j.good = min(j.first, j.size), 0
	log.Info("github timed out: smaller pages", "repo", j.r.String(), "page_size", j.first, "why", why)
	return []*job{j}
}

// timedOut reports whether err, in place of an answer, is a request that ran
// past its time: like a 502, a sign that the query is too heavy.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
