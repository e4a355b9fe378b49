package serving

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/releaselake/releaselake"
)

// Lake is what the engine reads of the lake (the lake's Store is one).
type Lake interface {
	Reader
	// Head returns the newest committed version, NoVersion if there is none.
	Head(ctx context.Context) (int64, error)
	// VersionAsOf returns the newest version committed at or before t,
	// NoVersion if none was.
	VersionAsOf(ctx context.Context, t time.Time) (int64, error)
}

// Options configure an Engine.
type Options struct {
	Log *slog.Logger // nil: discard
	// Poll is how often Run looks for commits by other processes (10 s if 0).
	Poll time.Duration
	// AsOfVersions is how many older versions AsOf keeps in memory (1 if 0).
	AsOfVersions int
	// Loaded, if set, is called after each new index is swapped in.
	Loaded func(ctx context.Context, ix *Index)
	// MaxSubscribers bounds Broadcaster's subscribers
	// (DefaultMaxSubscribers when 0).
	MaxSubscribers int
	// Differ finds what each version changed for the Broadcaster
	// (IndexDiff{} when nil; one reading the lake's change feed once it has one).
	Differ Differ
}

// Engine serves the newest committed version of a lake as an Index: it loads
// it at start, after each commit by this process (Signal) and every Poll, and
// swaps the new index in atomically; readers see one index or the other. It
// also answers time travel (AsOf) and readiness (Ready).
type Engine struct {
	lake Lake
	log  *slog.Logger
	opt  Options
	asOf func(ctx context.Context, t time.Time) (*Index, error)

	index   atomic.Pointer[Index]
	loadErr atomic.Pointer[error] // last load failure; nil when the lake was read fine
	outage  outage                // Run's account of a failure that lasts
	wake    chan struct{}         // a commit by this process: reload now
	preload chan loaded           // Run's first load, begun by Preload; nil once taken

	broadcast *Broadcaster // told of each index swapped in

	stopPreload context.CancelFunc
	wg          sync.WaitGroup
}

// New returns an engine over l that serves nothing until Run loads the lake.
func New(l Lake, o Options) *Engine {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Poll == 0 {
		o.Poll = 10 * time.Second
	}
	e := &Engine{lake: l, log: o.Log, opt: o, wake: make(chan struct{}, 1),
		broadcast: NewBroadcaster(o.MaxSubscribers, o.Differ)}
	e.asOf = asOfIndexes(l.VersionAsOf, func(ctx context.Context, v int64) (*Index, error) { return LoadAt(ctx, l, v) },
		e.Current, o.AsOfVersions)
	return e
}

// Preload begins reading the newest version, which Run's first load takes if
// it is still the newest: the load then overlaps the rest of a server's start.
// Close stops it. Call it at most once, before Run.
func (e *Engine) Preload() {
	ctx, cancel := context.WithCancel(context.Background())
	e.preload, e.stopPreload = make(chan loaded, 1), cancel
	e.wg.Add(1)
	go func() { defer e.wg.Done(); e.preload <- e.read(ctx) }()
}

// Close stops a preload still running and waits for it.
func (e *Engine) Close() {
	if e.stopPreload != nil {
		e.stopPreload()
	}
	e.wg.Wait()
}

// Broadcaster returns what tells subscribers of each version swapped in,
// after the first, and what it added or changed.
func (e *Engine) Broadcaster() *Broadcaster { return e.broadcast }

// Current returns the index being served, nil until the first load.
func (e *Engine) Current() *Index { return e.index.Load() }

// AsOf returns the index of the lake as it was at t: the newest version
// committed at or before t, class NotFound if there is none.
func (e *Engine) AsOf(ctx context.Context, t time.Time) (*Index, error) { return e.asOf(ctx, t) }

// Ready returns the index served once it is the newest committed version and
// the lake was reachable at the last look; otherwise an Unavailable error
// saying why not.
func (e *Engine) Ready() (*Index, error) {
	ix := e.index.Load()
	if errp := e.loadErr.Load(); errp != nil {
		return nil, releaselake.Errorf(releaselake.Unavailable, "lake unreachable: %s", releaselake.MessageOf(*errp))
	}
	if ix == nil {
		return nil, releaselake.Errorf(releaselake.Unavailable, "loading the lake")
	}
	return ix, nil
}

// Readyz is /readyz: 200 once the newest committed version is loaded and the
// lake was reachable at the last look; 503 with the reason before and otherwise.
func (e *Engine) Readyz(w http.ResponseWriter, _ *http.Request) {
	ix, err := e.Ready()
	if err != nil {
		http.Error(w, releaselake.MessageOf(err), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintf(w, "ready: version %d, %d rows\n", ix.Version, ix.Rows())
}

// Signal asks Run to look at the lake now (after a commit by this process).
func (e *Engine) Signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run keeps the served index at the newest committed version until ctx ends:
// at start, after each Signal, and every Poll for commits by others. When
// ctx ends it closes the Broadcaster, ending every subscription.
func (e *Engine) Run(ctx context.Context) {
	t := time.NewTicker(e.opt.Poll)
	defer t.Stop()
	defer e.broadcast.Close()
	for {
		e.load(ctx)
		e.loadAdvisories(ctx) // advisories.go
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.wake:
		}
	}
}

// load swaps in a new index if the lake has a newer version than the one served.
// The first load takes what Preload began reading, if it is still the newest.
func (e *Engine) load(ctx context.Context) {
	head, err := e.lake.Head(ctx)
	if err == nil {
		if cur := e.index.Load(); cur != nil && cur.Version == head {
			e.reachable()
			return
		}
		var l loaded
		if e.preload != nil {
			select {
			case l = <-e.preload:
			case <-ctx.Done():
				return
			}
			e.preload = nil
		}
		if l.err != nil || l.ix == nil || l.ix.Version != head {
			l = e.read(ctx)
		}
		if err = l.err; err == nil {
			older := e.index.Swap(l.ix)
			e.reachable()
			e.log.Info("lake loaded", "version", l.ix.Version, "rows", l.ix.Rows(),
				"took", l.took.Round(time.Millisecond))
			if e.opt.Loaded != nil {
				e.opt.Loaded(ctx, l.ix)
			}
			e.broadcast.Publish(older, l.ix)
			// What the load leaves behind (decoded pages, buffers, the index
			// replaced) goes back to the system now rather than at the
			// scavenger's pace; the index holds no pointers, so the forced
			// collection costs a few milliseconds (docs/scale.md).
			debug.FreeOSMemory()
			PaceGC()
			return
		}
	}
	if ctx.Err() == nil {
		e.loadErr.Store(&err)
		if e.outage.failed(err, time.Now()) {
			e.log.Error("load lake", "err", err, "failed_loads", e.outage.n)
		}
	}
}

// reachable records that the lake was read fine; after a failure the log says
// the outage is over, which a version that did not change would not show.
func (e *Engine) reachable() {
	if prev := e.loadErr.Swap(nil); prev != nil {
		e.log.Info("lake reachable again", "was", releaselake.MessageOf(*prev), "failed_loads", e.outage.n)
	}
	e.outage = outage{}
}

// loaded is an index read from the lake, or why it could not be.
type loaded struct {
	ix   *Index
	took time.Duration // reading and indexing the table
	err  error
}

// read reads the newest version of the lake and indexes it, the collector
// held off meanwhile.
func (e *Engine) read(ctx context.Context) loaded {
	start := time.Now()
	restoreGC := HoldGC()
	defer restoreGC()
	ix, err := Load(ctx, e.lake)
	if err != nil {
		return loaded{err: err}
	}
	return loaded{ix: ix, took: time.Since(start)}
}

// outage keeps the load loop's log of a failure short: a lake unreachable for
// an hour is polled 360 times, and each poll logging it said nothing new. An
// error is logged when it begins, when it changes, and every outageLogEvery
// while it lasts; "lake reachable again" says how many loads failed.
type outage struct {
	n      int       // loads failed in a row
	msg    string    // the last one's error
	logged time.Time // when it was last logged
}

const outageLogEvery = 5 * time.Minute

// failed counts a failed load and reports whether to log it.
func (o *outage) failed(err error, now time.Time) bool {
	o.n++
	msg := err.Error()
	if o.n > 1 && msg == o.msg && now.Sub(o.logged) < outageLogEvery {
		return false
	}
	o.msg, o.logged = msg, now
	return true
}
