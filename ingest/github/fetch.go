package github

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// maxBatchRetries bounds the secondary limits met by one request, and the
// requests in a row that get no answer at all; retry.go has the rest of the
// retry policy.
const maxBatchRetries = 5

// Fetch crawls each product's repository: many repositories per request, one
// request at a time, each repository paging on its own cursor. One product's
// failure does not stop the others; a refused token or an exhausted rate limit
// ends the crawl, and the products not yet done fail with that reason.
func (s *Source) Fetch(ctx context.Context, crawls []releaselake.Crawl) []releaselake.Fetched {
	now := s.cfg.Now().UTC()
	log := s.cfg.Log.With("source", "github")
	out := make([]releaselake.Fetched, len(crawls))
	var queue []*job
	for i, c := range crawls {
		out[i].Product = c.Product.Key
		j, err := s.newJob(i, c, now)
		if err != nil {
			out[i].Err = err
			continue
		}
		queue = append(queue, j)
	}
	// The longest listings first: a repository's pages follow each other, one
	// request each, and started early they ride in the requests that carry the
	// others instead of trailing alone at the end (a resync of a repository of
	// 20,000 tags is 200 requests in a row).
	slices.SortStableFunc(queue, func(a, b *job) int { return b.pages() - a.pages() })
	s.mu.Lock()
	s.stats = releaselake.SourceStats{Kind: releaselake.KindGitHub}
	s.mu.Unlock()

	finish := func(j *job) {
		if j.err == nil {
			if j.name != "" && !strings.EqualFold(j.name, j.r.String()) {
				log.Warn("github repository renamed: rows carry the new name; update the catalog", "product", j.p.Key, "catalog", j.r.String(), "github", j.name)
			}
			out[j.out], j.err = j.result(now)
		}
		if j.err != nil {
			out[j.out] = releaselake.Fetched{Product: j.p.Key, Err: j.err}
		}
	}
	round := 0
	var rt retry
	for len(queue) > 0 {
		round++
		var batch []*job
		batch, queue = s.takeBatch(queue)
		next, fatal := s.request(ctx, batch, round, now, &rt, log)
		if fatal != nil {
			for _, j := range append(next, queue...) {
				j.err = fatal
				finish(j)
			}
			break
		}
		var again []*job
		for _, j := range batch {
			switch {
			case j.err != nil || j.done:
				finish(j)
			default:
				again = append(again, j)
			}
		}
		// Split or shrunk jobs go first, then those with more pages, then the rest.
		queue = append(append(next, again...), queue...)
		queue = dedupe(queue)
	}
	return out
}

// takeBatch takes from the front of queue as many jobs as fit in one request:
// at most MaxBatch repositories, ConnectionBudget connections (1 point) and
// NodeBudget nodes. A heavy repository (GitHub timed out on it before) goes alone.
func (s *Source) takeBatch(queue []*job) (batch, rest []*job) {
	nodes, conns := 0, 0
	limit := s.cfg.MaxBatch
	for i, j := range queue {
		if j.cap > 0 {
			limit = min(limit, j.cap)
		}
		c := j.ask().connections()
		if len(batch) > 0 && (j.heavy || len(batch) >= limit || nodes+j.nodes() > s.cfg.NodeBudget || conns+c > s.cfg.ConnectionBudget) {
			return batch, queue[i:]
		}
		batch = append(batch, j)
		nodes += j.nodes()
		conns += c
		if j.heavy {
			return batch, queue[i+1:]
		}
	}
	return batch, nil
}

// request sends one batch, retrying what GitHub asks to retry and what may not
// fail again (a 502, a lost connection, a timeout: retry.go), and hands each
// repository's part of the answer to take. A request that cannot work however
// often it is sent (a bad URL, an untrusted certificate: see transient) ends
// the crawl at once, without waiting. It returns jobs to requeue first (the
// halves of a batch GitHub could not finish, a repository with smaller pages)
// and, if the whole crawl must stop, why.
func (s *Source) request(ctx context.Context, batch []*job, round int, now time.Time, rt *retry, log *slog.Logger) (requeue []*job, fatal error) {
	// In shape order: the query type and read's aliases follow it.
	slices.SortStableFunc(batch, func(a, b *job) int { return a.ask().rank() - b.ask().rank() })
	asks := make([]ask, len(batch))
	for i, j := range batch {
		asks[i] = j.ask()
	}
	riders := s.takeRiders(round, asks) // advisories.go
	backoff := s.cfg.Backoff
	var limited time.Duration // waited so far for the primary rate limit
	limits, fails := 0, 0     // secondary limits, and failures, of this request
	for {
		if err := ctx.Err(); err != nil {
			return batch, releaselake.Wrap(releaselake.Unavailable, err, "github crawl stopped")
		}
		at := s.cfg.Now().UTC()
		resp, body, qerr := s.send(ctx, asks, riders)
		if err := ctx.Err(); err != nil && resp.status == 0 {
			// The run's end, not the network's: its deadline looks like a request's timeout.
			return batch, releaselake.Wrap(releaselake.Unavailable, err, "github crawl stopped")
		}
		verdict, wait := classify(resp, body, qerr, at)
		if rt.silent++; resp.status != 0 {
			rt.silent = 0
		}
		if verdict != verdictRetry && verdict != verdictTooHeavy {
			rt.failed = 0
		}
		switch verdict {
		case verdictOK:
			s.read(batch, body, round, at, now, log)
			s.advRead(riders, body, round, at, false)
			return nil, nil
		case verdictUnauthorized:
			return batch, releaselake.Errorf(releaselake.Unauthorized, "GitHub refused the token (HTTP 401): check GITHUB_TOKEN")
		case verdictUnsendable:
			return batch, unanswered(qerr)
		case verdictRefused:
			return batch, releaselake.Errorf(releaselake.Invalid, "GitHub answered %s (%s), not retried: check GITHUB_GRAPHQL_URL", describe(resp, qerr), http.StatusText(resp.status))
		case verdictPrimaryLimit:
			// MaxWait bounds the waits together: a limit that outlasts its reset
			// is not asked about again and again. One without a reset time
			// (or Retry-After) is backed off from, within the same bound.
			if wait == 0 {
				wait, backoff = backoff, backoff*2
			}
			if limited += wait; limited > s.cfg.MaxWait {
				return batch, releaselake.Errorf(releaselake.Unavailable, "GitHub rate limit exhausted until %s; the run keeps what it fetched", at.Add(wait).Format(time.RFC3339))
			}
			log.Warn("github rate limit exhausted: waiting for the reset", "wait", wait)
		case verdictSecondaryLimit:
			// Waited out as GitHub asks, the request unchanged: the limit is
			// the token's, not the query's.
			if limits++; limits >= maxBatchRetries {
				return batch, releaselake.Errorf(releaselake.Unavailable, "GitHub kept refusing (%s) after %d attempts", describe(resp, qerr), limits)
			}
			if wait == 0 {
				wait, backoff = backoff, backoff*2
			}
			log.Warn("github asks to slow down", "why", describe(resp, qerr), "wait", wait, "attempt", limits)
		case verdictRetry, verdictTooHeavy:
			why := describe(resp, qerr)
			rt.failed++
			switch {
			case rt.silent >= maxBatchRetries:
				return batch, releaselake.Errorf(releaselake.Unavailable, "GitHub did not answer (%s) after %d attempts", why, rt.silent)
			case rt.failed >= maxFailsInARow:
				return batch, releaselake.Errorf(releaselake.Unavailable, "GitHub failed %d requests in a row (last: %s)", rt.failed, why)
			}
			if s.charge(batch, why, log) {
				return nil, nil // Fetch ends the failed jobs and requeues the others
			}
			fails++
			if heavy := verdict == verdictTooHeavy || timedOut(qerr); heavy && probing(batch) {
				return s.back(batch[0], why, log), nil
			} else if heavy && fails >= triesPerSize {
				return s.lighten(batch, why, log), nil
			}
			if wait == 0 {
				wait = s.backoff(fails, resp.status != 0)
			}
			log.Warn("github request failed: trying again", "why", why, "wait", wait, "attempt", fails, "repositories", len(batch), "page_size", batch[0].first)
		}
		if err := s.cfg.Sleep(ctx, wait); err != nil {
			return batch, releaselake.Wrap(releaselake.Unavailable, err, "github crawl stopped")
		}
	}
}

// send posts one query for asks, and the advisories riding along, through
// githubv4 and returns the answer as it came over the wire.
func (s *Source) send(ctx context.Context, asks []ask, riders []*advJob) (response, []byte, error) {
	sh := shapeOf(asks)
	sh.adv = len(riders)
	q := reflect.New(batchType(sh)).Interface()
	vars := batchVars(asks)
	advVars(riders, vars)
	var resp response
	err := s.client.Query(withCapture(ctx, &resp), q, vars)
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	return resp, resp.body, err
}

// read hands each repository's part of an OK answer to its job.
func (s *Source) read(batch []*job, body []byte, round int, at, now time.Time, log *slog.Logger) {
	var ans struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []graphQLError             `json:"errors"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		for _, j := range batch {
			j.err = releaselake.Wrap(releaselake.Unavailable, err, fmt.Sprintf("github %s: unreadable answer", j.r))
		}
		return
	}
	s.noteRate(ans.Data["rateLimit"])
	errs := map[string]*graphQLError{}
	for i := range ans.Errors {
		if len(ans.Errors[i].Path) > 0 {
			if a, ok := ans.Errors[i].Path[0].(string); ok {
				errs[a] = &ans.Errors[i]
			}
		}
	}
	for i, j := range batch {
		a := alias(i)
		raw := ans.Data[a]
		var rep *repository
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &rep); err != nil {
				j.err = releaselake.Wrap(releaselake.Unavailable, err, fmt.Sprintf("github %s: unreadable answer", j.r))
				continue
			}
		}
		if rep == nil {
			j.err = missing(j.r, errs[a])
			continue
		}
		j.round++
		line := rawLine{Repo: j.r.String(), Round: round, FetchedAt: at, Data: json.RawMessage(`{"repository":` + string(raw) + `}`)}
		j.done = !s.take(j, rep, line, now, log)
	}
}

// missing is the error for a repository the answer has no data for.
func missing(r repo, e *graphQLError) error {
	switch {
	case e != nil && e.Type == "NOT_FOUND":
		return releaselake.Errorf(releaselake.NotFound, "github repository %s not found", r)
	case e != nil:
		return releaselake.Errorf(releaselake.Unavailable, "github %s: %s", r, e)
	}
	return releaselake.Errorf(releaselake.Unavailable, "github %s: no data in the answer", r)
}

// graphQLError is an entry of a GraphQL answer's errors, with GitHub's type and path.
type graphQLError struct {
	Type    string `json:"type"` // NOT_FOUND, RATE_LIMITED, FORBIDDEN …
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

func (e *graphQLError) Error() string {
	if e.Type == "" {
		return e.Message
	}
	return e.Type + ": " + e.Message
}

// Verdicts on one answer.
type verdict int

const (
	verdictOK verdict = iota
	verdictRetry
	verdictSecondaryLimit
	verdictPrimaryLimit
	verdictTooHeavy
	verdictUnauthorized
	verdictUnsendable // no answer, and asking again cannot get one
	verdictRefused    // a 4xx that asking again cannot change (404: a wrong URL)
)

// classify reads an answer as GitHub means it. wait is how long GitHub asks to
// wait (Retry-After, or until x-ratelimit-reset), 0 if it does not say. No
// answer at all is retried only if its error, qerr, is one that can pass
// (transient: connection refused or reset, a cut answer, a timeout); any other
// (a bad URL or header, an untrusted certificate) is verdictUnsendable.
func classify(resp response, body []byte, qerr error, at time.Time) (verdict, time.Duration) {
	if resp.status == 0 {
		if transient(qerr) {
			return verdictRetry, 0
		}
		return verdictUnsendable, 0
	}
	var ans struct {
		Errors []graphQLError `json:"errors"`
	}
	json.Unmarshal(body, &ans)
	secondary := resp.status != http.StatusOK && strings.Contains(strings.ToLower(string(body)), "secondary rate limit")
	for _, e := range ans.Errors {
		secondary = secondary || strings.Contains(strings.ToLower(e.Message), "secondary rate limit")
	}
	retryAfter := time.Duration(0)
	if s := resp.header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
			retryAfter = time.Duration(n) * time.Second
		}
	}
	untilReset := func() time.Duration {
		if n, err := strconv.ParseInt(resp.header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(n, 0).Sub(at), 0) + time.Second
		}
		return 0
	}
	switch {
	case resp.status == http.StatusUnauthorized:
		return verdictUnauthorized, 0
	case secondary:
		return verdictSecondaryLimit, retryAfter
	case resp.status == http.StatusForbidden || resp.status == http.StatusTooManyRequests:
		if resp.header.Get("X-RateLimit-Remaining") == "0" {
			return verdictPrimaryLimit, cmp.Or(untilReset(), retryAfter)
		}
		return verdictSecondaryLimit, retryAfter
	case resp.status == http.StatusBadGateway || resp.status == http.StatusGatewayTimeout:
		return verdictTooHeavy, 0
	case resp.status >= 500:
		return verdictRetry, retryAfter
	case resp.status >= 400 && resp.status != http.StatusRequestTimeout && resp.status != http.StatusTooEarly:
		// 401, 403 and 429 are dealt with above; any other client error
		// (404 from a wrong GITHUB_GRAPHQL_URL, 400) is the same the next time.
		return verdictRefused, 0
	case resp.status != http.StatusOK:
		return verdictRetry, retryAfter
	}
	for _, e := range ans.Errors {
		switch {
		case e.Type == "RATE_LIMITED":
			return verdictPrimaryLimit, cmp.Or(untilReset(), retryAfter)
		case strings.Contains(strings.ToLower(e.Message), "something went wrong while executing your query"):
			return verdictTooHeavy, 0
		}
	}
	_ = qerr // errors with a path belong to one repository each: read handles them
	return verdictOK, 0
}

// describe says in a few words what an answer was.
func describe(resp response, err error) string {
	if resp.status == 0 {
		if err != nil {
			return err.Error()
		}
		return "no answer"
	}
	return fmt.Sprintf("HTTP %d", resp.status)
}

// dedupe keeps the first of each job in queue.
func dedupe(queue []*job) []*job {
	seen := map[*job]bool{}
	out := queue[:0]
	for _, j := range queue {
		if !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	return out
}

// noteRate adds an answer's rateLimit to the stats.
func (s *Source) noteRate(raw json.RawMessage) {
	var rl rateLimit
	if len(raw) == 0 || json.Unmarshal(raw, &rl) != nil {
		return
	}
	s.mu.Lock()
	s.stats.Points += rl.Cost
	s.stats.RateRemaining, s.stats.RateResetAt = rl.Remaining, rl.ResetAt
	s.mu.Unlock()
}
