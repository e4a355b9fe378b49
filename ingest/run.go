// Package ingest is the ingest run: crawl every product from its source, keep the
// raw answers in the red table, parse them into release rows, and commit the
// complete new state to the yellow table, leaving a run record. Run is a plain
// method; schedule.go is the thin gocron shell around it.
package ingest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/releaselake/releaselake"
)

// Runner runs ingests, one at a time.
type Runner struct {
	Lake    releaselake.Lake
	Catalog *releaselake.Catalog
	// Sources by kind (releaselake.SourceKind.Name). A product whose kind has no source is
	// reported as skipped in the run record.
	Sources map[string]releaselake.Source
	// Disabled maps a kind to why its source cannot run (e.g. no GITHUB_TOKEN);
	// its products are reported as skipped with that reason.
	Disabled map[string]string
	Now      func() time.Time // defaults to time.Now
	Log      *slog.Logger     // nil discards
	// Committed, if set, is called with each version this runner commits.
	Committed func(version int64)
	// Finished, if set, is told of every run's final record (for metrics).
	Finished func(run releaselake.Run)
	// Owner names this runner in the ingest lease [hostname-pid-random: two
	// runners in one process are two owners].
	Owner     string
	ownerOnce sync.Once
	// LeaseTTL is how long the ingest lease lasts unless renewed; it is renewed
	// every third of it while the run lives [1 minute].
	LeaseTTL time.Duration
	// LeaseWait is how long a run waits for another process's run to end (or its
	// lease to expire, if it died) before giving up [10 minutes].
	LeaseWait time.Duration
	// Send, if set, is the run's last step (the push to the page server). It runs
	// after every run that did not fail, decides itself whether anything needs
	// sending (a new version, or a push that failed before), and its error is
	// recorded in the run's "send" step: it never fails the run.
	Send func(ctx context.Context) error
	// Deliver, if set, is the webhooks step, run before Send on the same
	// terms, told the version this run committed (NoVersion if none).
	Deliver func(ctx context.Context, committed int64) error
	// Compact, if set, is the last step of a run that committed: it compacts
	// yellow's small data files when they are many (cmd wires lake.Store's
	// Layout and Optimize); on the same terms as Send (laststep.go).
	Compact func(ctx context.Context) error
	// Base, if set, ends the runs Start begins when it ends (a server's
	// lifetime; Wait then waits for them). Without it they end on their own.
	Base    context.Context
	started sync.WaitGroup // runs begun by Start

	facts map[string]releaselake.ProductFacts // the run's, under mu: facts.go
	// Timeout is the deadline of a run's fetching (RELEASELAKE_INGEST_TIMEOUT;
	// 0: DefaultTimeout): what was fetched by then is committed (fetch.go).
	Timeout time.Duration

	mu         sync.Mutex
	current    atomic.Pointer[releaselake.Run]    // the run in progress (Ingesting)
	health     atomic.Pointer[releaselake.Health] // as last read or written (Health)
	healthOnce sync.Once
}

// RedLine is one line of the red table: a raw upstream answer and the product it
// was about, so that yellow can be rebuilt from red alone.
type RedLine struct {
	Product string          `json:"product"`
	Answer  json.RawMessage `json:"answer"`
}

// Start begins a run in the background and returns its record at once, with
// status running. The run goes on after ctx (the request that asked for it)
// ends, until Base does; its outcome is in its run record. It fails at once if
// the products are unknown (Invalid) or another run of this runner is in
// progress (Conflict).
func (r *Runner) Start(ctx context.Context, trigger string, products []string) (releaselake.Run, error) {
	if _, err := r.Catalog.Select(products); err != nil {
		return releaselake.Run{}, err
	}
	if !r.mu.TryLock() {
		return releaselake.Run{}, releaselake.Errorf(releaselake.Conflict, "an ingest run is already in progress")
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := func() bool { return false }
	if r.Base != nil {
		stop = context.AfterFunc(r.Base, cancel)
	}
	started := make(chan releaselake.Run, 1)
	r.started.Add(1)
	go func() {
		defer r.started.Done()
		defer r.mu.Unlock()
		defer cancel()
		defer stop()
		r.run(runCtx, trigger, products, started, nil)
	}()
	return <-started, nil
}

// Wait waits for the runs Start began to end (end Base first to stop them).
func (r *Runner) Wait() { r.started.Wait() }

// Run does one ingest of the given products (all when empty) and returns its
// record. The error is non-nil only when nothing could be committed (the record
// then has status failed); products that failed are listed in the record.
// A ctx that ends while Run waits for another run of this runner to finish
// ends it before it begins, with no record.
func (r *Runner) Run(ctx context.Context, trigger string, products []string) (releaselake.Run, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := ctx.Err(); err != nil {
		// Ended while it waited for the run before it (a shutdown): it never
		// began, so it leaves no record.
		return releaselake.Run{Trigger: trigger, Status: releaselake.RunCancelled, Version: releaselake.NoVersion, Error: err.Error()}, err
	}
	return r.run(ctx, trigger, products, nil, nil)
}

// RunFirst does the first ingest of a lake that has no committed version, as
// Run(ctx, "startup", nil) does, if the lake still has none once this process
// holds the ingest lease; ran says whether it did. When several processes start
// on an empty lake at once, the lease makes them take turns, and only the first
// finds the lake empty. A first ingest killed before it committed leaves the lake
// empty, so the next process to start (or one waiting for the lease, once the
// dead one's lease expires) does it again.
func (r *Runner) RunFirst(ctx context.Context) (run releaselake.Run, ran bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	log := r.log()
	// While it waits for another replica's first ingest, this one is as good
	// as running for the page's "first ingest running".
	r.current.Store(&releaselake.Run{Trigger: "startup", Status: releaselake.RunRunning, StartedAt: r.now(), Version: releaselake.NoVersion})
	defer r.current.Store(nil)
	lctx, release, err := r.lease(ctx, log)
	if err != nil {
		return releaselake.Run{}, false, err
	}
	head, err := r.Lake.Head(lctx)
	if err != nil || head != releaselake.NoVersion {
		release()
		if err != nil {
			return releaselake.Run{}, false, fmt.Errorf("read the lake's head: %w", err)
		}
		return releaselake.Run{}, false, nil
	}
	run, err = r.run(ctx, "startup", nil, nil, &leased{lctx, release})
	return run, true, err
}

// run is Run with the lock held; started, if not nil, receives the record as soon
// as the run is under way (or has failed); held, if not nil, is the ingest lease
// the caller took already.
func (r *Runner) run(ctx context.Context, trigger string, products []string, started chan<- releaselake.Run, held *leased) (releaselake.Run, error) {
	if held != nil {
		defer held.release()
	}
	notify := func(run releaselake.Run) {
		if started != nil {
			started <- run
			started = nil
		}
	}
	now := r.now()
	run := releaselake.Run{ID: NewRunID(now), Trigger: trigger, Status: releaselake.RunRunning,
		StartedAt: now, Version: releaselake.NoVersion}
	log := r.log().With("run", run.ID)
	// A run whose own context ends (a shutdown; not a lost lease) is cancelled.
	parent := ctx
	fail := func(ctx context.Context, run releaselake.Run, err error) (releaselake.Run, error) {
		return r.fail(ctx, log, run, err, parent.Err() != nil)
	}
	selected, err := r.Catalog.Select(products)
	if err != nil {
		run, err = fail(ctx, run, err)
		notify(run)
		return run, err
	}
	if err := r.Lake.SaveRun(ctx, run); err != nil {
		run, err = fail(ctx, run, fmt.Errorf("save run record: %w", err))
		notify(run)
		return run, err
	}
	r.current.Store(&run)
	defer r.current.Store(nil)
	notify(run)
	if held != nil {
		ctx = held.ctx
	} else {
		lctx, release, err := r.lease(ctx, log)
		if err != nil {
			return fail(ctx, run, err)
		}
		ctx = lctx
		defer release()
	}
	log.Info("ingest started", "trigger", trigger, "products", len(selected))

	snap, err := r.Lake.Snapshot(ctx)
	if err != nil {
		return fail(ctx, run, fmt.Errorf("read yellow: %w", err))
	}
	parsed, states, err := r.crawl(ctx, log, &run, selected, snap.Releases)
	if err != nil {
		return fail(ctx, run, err)
	}
	if n := NoteUnsafeURLs(&run, parsed); n > 0 {
		log.Warn("release URLs dropped: not http or https", "releases", n)
	}
	if err := r.commit(ctx, log, &run, snap, parsed); err != nil {
		return fail(ctx, run, err)
	}
	// The crawl state may now describe what yellow holds: save it, never before.
	for name, st := range states {
		if err := r.Lake.WriteState(ctx, name, st); err != nil {
			log.Warn("save crawl state; the next run redoes more work", "state", name, "err", err)
		}
	}
	r.advisories(ctx, log, &run, selected) // after yellow's commit: advisories.go
	run.Status = releaselake.RunSucceeded
	for _, p := range run.Products {
		if !p.OK() {
			run.Status = releaselake.RunPartial
		}
	}
	// The products' health before the send step, so that the page it pushes
	// shows this run's; dated now, when the run's rows are committed.
	done := run
	if done.EndedAt = r.now(); parent.Err() != nil {
		done.Status = releaselake.RunCancelled
	}
	r.recordHealth(ctx, log, done)
	r.lastSteps(ctx, log, &run, parent.Err() != nil) // laststep.go
	if parent.Err() != nil {
		run.Status = releaselake.RunCancelled
		run.Error = strings.TrimPrefix(run.Error+"; ", "; ") + "cancelled by shutdown"
	}
	run.EndedAt = r.now()
	// The record says how the run ended even when its context has: a record
	// left "running" would never change, and rebuild would replay its red.
	if err := r.saveFinal(ctx, run); err != nil {
		log.Error("save run record", "err", err)
	}
	if r.Finished != nil {
		r.Finished(run)
	}
	if run.Error != "" {
		log.Error("ingest finished", "status", run.Status, "version", run.Version, "rows", run.Rows,
			"added", run.Added, "changed", run.Changed, "removed", run.Removed, "err", run.Error)
	} else {
		log.Info("ingest finished", "status", run.Status, "version", run.Version, "rows", run.Rows,
			"added", run.Added, "changed", run.Changed, "removed", run.Removed)
	}
	return run, nil
}

// crawl fetches each product from its source, writes the raw answers to red and
// parses them. It returns the complete rows of each product that was crawled
// successfully and changed, and the crawl states to save after the commit.
func (r *Runner) crawl(ctx context.Context, log *slog.Logger, run *releaselake.Run, products []releaselake.Product, current []releaselake.Release) (map[string][]releaselake.Release, map[string][]byte, error) {
	start := r.now()
	prev := byProduct(current)
	byKind := map[string][]releaselake.Product{}
	var kinds []string
	for _, p := range products {
		k := p.Source()
		if byKind[k] == nil {
			kinds = append(kinds, k)
		}
		byKind[k] = append(byKind[k], p)
	}
	parsed := map[string][]releaselake.Release{}
	states := map[string][]byte{}
	jobs := make([]*fetchJob, len(kinds))
	for i, kind := range kinds {
		j := &fetchJob{kind: kind, ps: byKind[kind]}
		jobs[i] = j
		src, ok := r.Sources[kind]
		why, disabled := r.Disabled[kind]
		if !ok && !disabled {
			why = fmt.Sprintf("source %q is not implemented yet", kind)
		}
		if !ok || disabled {
			j.skip = why
			continue
		}
		j.src, j.crawls = src, make([]releaselake.Crawl, len(j.ps))
		for i, p := range j.ps {
			st, err := r.Lake.ReadState(ctx, stateName(kind, p.Key))
			if err != nil {
				return nil, nil, fmt.Errorf("read crawl state of %s: %w", p.Key, err)
			}
			j.crawls[i] = releaselake.Crawl{Product: p, Prev: prev[p.Key], State: st}
		}
	}
	late := r.fetchAll(ctx, jobs)
	if late {
		run.Error = strings.TrimPrefix(run.Error+"; ", "; ") + "the run's deadline of " + shortDuration(r.timeout()) + " passed before every source answered"
		log.Error("ingest deadline passed; what was fetched is committed", "timeout", r.timeout())
	}
	for _, j := range jobs {
		kind, ps, src, fetched := j.kind, j.ps, j.src, j.fetched
		if src == nil {
			log.Warn("products skipped", "source", kind, "count", len(ps), "reason", j.skip)
			for _, p := range ps {
				run.Products = append(run.Products, releaselake.RunProduct{Product: p.Key, Source: kind, Status: "skipped", Error: j.skip})
			}
			continue
		}
		if rep, ok := src.(releaselake.Reporter); ok && j.done {
			st := rep.LastStats()
			st.Kind = kind
			run.Sources = append(run.Sources, st)
			log.Info("fetched", "source", kind, "products", len(ps), "requests", st.Requests, "points", st.Points, "rate_remaining", st.RateRemaining)
		}
		if len(fetched) != len(ps) {
			return nil, nil, fmt.Errorf("source %s answered %d products of %d", kind, len(fetched), len(ps))
		}
		var red [][]byte
		for _, f := range fetched {
			for _, raw := range f.Raw {
				line, err := json.Marshal(RedLine{Product: f.Product, Answer: raw})
				if err != nil {
					return nil, nil, fmt.Errorf("encode red line of %s: %w", f.Product, err)
				}
				red = append(red, line)
			}
		}
		if len(red) > 0 {
			if err := r.Lake.AppendRed(ctx, run.ID, start, kind, red); err != nil {
				return nil, nil, fmt.Errorf("write red %s: %w", kind, err)
			}
		}
		first := len(run.Products)
		var errs []error
		for i, f := range fetched {
			p := ps[i]
			rp := releaselake.RunProduct{Product: p.Key, Source: kind, Status: "ok", Releases: len(prev[p.Key])}
			switch {
			case f.Err != nil:
			case f.Unchanged:
				rp.Status = "unchanged"
			default:
				var res releaselake.Parsed
				if res, f.Err = src.Parse(p, f.Raw, prev[p.Key]); f.Err == nil {
					parsed[p.Key] = res.Releases
					r.noteFacts(src, p.Key, f.Raw) // facts.go
					rp.Releases, rp.Ignored = len(res.Releases), res.Ignored
				}
			}
			if f.Err != nil {
				rp.Status, rp.Error, rp.Reason = "failed", f.Err.Error(), Reason(f.Err)
				errs = append(errs, f.Err)
			} else if f.State != nil {
				states[stateName(kind, p.Key)] = f.State
			}
			run.Products = append(run.Products, rp)
		}
		// A source that failed as a whole is one error, not one per product;
		// a shutdown's is not the source's.
		var whole string
		if ctx.Err() == nil && !late {
			whole = sourceFailed(kind, run.Products[first:], errs)
		}
		if whole != "" {
			if run.SourceErrors == nil {
				run.SourceErrors = map[string]string{}
			}
			run.SourceErrors[kind] = whole
			run.Error = strings.TrimPrefix(run.Error+"; "+whole, "; ")
			log.Error("source failed", "source", kind, "err", whole)
		} else {
			for _, p := range run.Products[first:] {
				if p.Status == "failed" {
					log.Warn("product failed", "product", p.Product, "source", kind, "err", p.Error)
				}
			}
		}
	}
	failed := 0
	for _, p := range run.Products {
		if !p.OK() {
			failed++
		}
	}
	r.step(run, "crawl", start, nil)
	log.Info("crawl done", "products", len(products), "parsed", len(parsed), "not_ok", failed)
	return parsed, states, nil
}

// commit merges the new rows into the current state and commits it if anything
// changed. Products not crawled successfully keep their rows.
func (r *Runner) commit(ctx context.Context, log *slog.Logger, run *releaselake.Run, snap releaselake.Snapshot, parsed map[string][]releaselake.Release) error {
	start := r.now()
	var v int64
	for attempt := 1; ; attempt++ {
		// firstSeenAt is the run's start to the second, the time its id carries, so
		// a rebuild from red gives the same rows.
		rows, d := Merge(snap.Releases, parsed, run.StartedAt.Truncate(time.Second))
		run.Rows, run.Added, run.Changed, run.Removed = len(rows), d.Added, d.Changed, d.Removed
		if d.Added+d.Changed+d.Removed == 0 {
			r.step(run, "commit", start, nil)
			log.Info("nothing new to commit", "version", snap.Version, "rows", len(rows))
			return nil
		}
		var err error
		v, err = r.Lake.Commit(ctx, snap.Version, rows, releaselake.CommitInfo{RunID: run.ID, Operation: "INGEST", At: r.now(), Base: snap.Releases})
		if err == nil {
			break
		}
		// Another writer got there first (on HDFS, a killed run's commit can land
		// late, once its lease is recovered): merge onto its version and try again.
		if releaselake.ClassOf(err) != releaselake.Conflict || attempt == 3 {
			return fmt.Errorf("commit yellow v%d: %w", snap.Version+1, err)
		}
		log.Warn("commit conflict: merging onto the newer version", "base", snap.Version, "err", err)
		if snap, err = r.Lake.Snapshot(ctx); err != nil {
			return fmt.Errorf("read yellow after a conflict: %w", err)
		}
	}
	run.Version = v
	r.step(run, "commit", start, nil)
	log.Info("committed", "version", v, "rows", run.Rows, "added", run.Added, "changed", run.Changed, "removed", run.Removed)
	if r.Committed != nil {
		r.Committed(v)
	}
	return nil
}

// finalSaveTimeout bounds saving a run's last record once its context may
// have ended: a lake that does not answer must not hold the run forever.
const finalSaveTimeout = 30 * time.Second

// saveFinal saves a run's last record, even if ctx has ended (see run).
func (r *Runner) saveFinal(ctx context.Context, run releaselake.Run) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalSaveTimeout)
	defer cancel()
	return r.Lake.SaveRun(ctx, run)
}

// fail ends a run that could not commit: failed, or cancelled when the
// shutdown ended it.
func (r *Runner) fail(ctx context.Context, log *slog.Logger, run releaselake.Run, err error, cancelled bool) (releaselake.Run, error) {
	run.Status, run.Error, run.EndedAt = releaselake.RunFailed, err.Error(), r.now()
	if cancelled {
		run.Status, run.Error = releaselake.RunCancelled, "cancelled by shutdown: "+err.Error()
	}
	if serr := r.saveFinal(ctx, run); serr != nil {
		log.Error("save run record", "err", serr)
	}
	log.Error("ingest failed", "err", err)
	if r.Finished != nil {
		r.Finished(run)
	}
	return run, err
}

func (r *Runner) step(run *releaselake.Run, name string, start time.Time, err error) {
	s := releaselake.RunStep{Name: name, Started: start, Duration: r.now().Sub(start)}
	if err != nil {
		s.Error = err.Error()
	}
	run.Steps = append(run.Steps, s)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// NewRunID returns a run id like 20261125T000000Z-3f9a: sortable by time, and
// only [0-9A-Za-z_-] because HDFS refuses ':' in names.
func NewRunID(now time.Time) string {
	var b [2]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
