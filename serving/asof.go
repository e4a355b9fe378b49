package serving

import (
	"context"
	"sync"
	"time"

	"github.com/releaselake/releaselake"
)

// asOfIndexes returns Engine.AsOf over a lake that can read its older
// versions: versionAsOf finds the newest version committed at or before t
// (NoVersion if none), indexAt reads one into an index. The index being served answers
// for its own version; the n most recently used older indexes are kept (no
// more rows together than the served index, see evict), since a committed
// version never changes; concurrent requests for the same version load it
// once. One version loads at a time across all requests (MaxAsOfLoads):
// others wait for it up to AsOfWait, then are refused as Unavailable, and a
// load in flight counts in the row budget before it starts, so many distinct
// versions asked at once never hold more than the budget.
func asOfIndexes(
	versionAsOf func(ctx context.Context, t time.Time) (int64, error),
	indexAt func(ctx context.Context, version int64) (*Index, error),
	current func() *Index,
	n int,
) func(ctx context.Context, t time.Time) (*Index, error) {
	return newAsOfCache(versionAsOf, indexAt, current, n).at
}

func newAsOfCache(
	versionAsOf func(ctx context.Context, t time.Time) (int64, error),
	indexAt func(ctx context.Context, version int64) (*Index, error),
	current func() *Index,
	n int,
) *asOfCache {
	return &asOfCache{versionAsOf: versionAsOf, indexAt: indexAt, current: current, max: max(n, 1),
		loads: map[int64]*asOfLoad{}, slots: make(chan struct{}, MaxAsOfLoads), wait: AsOfWait}
}

// Bounds of time travel's loads, across all requests.
const (
	MaxAsOfLoads = 1                // older versions being read at once
	AsOfWait     = 10 * time.Second // how long a request waits for its turn before Unavailable
)

type asOfCache struct {
	versionAsOf func(ctx context.Context, t time.Time) (int64, error)
	indexAt     func(ctx context.Context, version int64) (*Index, error)
	current     func() *Index
	max         int
	slots       chan struct{} // one a load in flight
	wait        time.Duration

	mu       sync.Mutex
	loads    map[int64]*asOfLoad
	tick     uint64
	lastRows int // rows of the last version loaded: what the next one is expected to hold
}

// asOfLoad is one version's index, loaded or being loaded.
type asOfLoad struct {
	done   chan struct{}
	ix     *Index
	err    error
	used   uint64
	rows   int  // under asOfCache.mu: expected while loading, then what it holds
	loaded bool // under asOfCache.mu; only a loaded version can be evicted
}

func (c *asOfCache) at(ctx context.Context, t time.Time) (*Index, error) {
	v, err := c.versionAsOf(ctx, t)
	if err != nil {
		return nil, err
	}
	if v == releaselake.NoVersion {
		return nil, releaselake.Errorf(releaselake.NotFound, "asOf: the lake has no version committed at or before %s", t.UTC().Format(time.RFC3339))
	}
	if cur := c.current(); cur != nil && cur.Version == v {
		return cur, nil
	}
	c.mu.Lock()
	c.tick++
	l, ok := c.loads[v]
	if ok {
		l.used = c.tick
		c.mu.Unlock()
		select {
		case <-l.done:
			return l.ix, l.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l = &asOfLoad{done: make(chan struct{}), used: c.tick}
	c.loads[v] = l
	c.mu.Unlock()

	ix, err := c.load(ctx, v, l)
	c.mu.Lock()
	if err != nil {
		ix = nil
		if c.loads[v] == l {
			delete(c.loads, v) // try again next time
		}
	} else {
		l.rows, l.loaded, c.lastRows = ix.Rows(), true, ix.Rows()
		c.evict()
	}
	c.mu.Unlock()
	l.ix, l.err = ix, err
	close(l.done)
	return l.ix, l.err
}

// load reads version v once its turn comes (a slot), having made room for
// the rows it is expected to hold.
func (c *asOfCache) load(ctx context.Context, v int64, l *asOfLoad) (*Index, error) {
	timer := time.NewTimer(c.wait)
	defer timer.Stop()
	select {
	case c.slots <- struct{}{}:
	case <-timer.C:
		return nil, releaselake.Errorf(releaselake.Unavailable, "asOf: other versions are being loaded; retry shortly")
	case <-ctx.Done():
		// Others may be waiting for this load: theirs is no internal error.
		return nil, releaselake.Wrap(releaselake.Unavailable, ctx.Err(), "asOf: the version was not loaded; retry")
	}
	defer func() { <-c.slots }()
	c.mu.Lock()
	l.rows = c.lastRows
	if cur := c.current(); l.rows == 0 && cur != nil {
		l.rows = cur.Rows()
	}
	c.evict()
	c.mu.Unlock()
	return c.indexAt(context.WithoutCancel(ctx), v)
}

// minAsOfRows is the rows the older indexes may hold together however small
// the served one is (~16 MiB).
const minAsOfRows = 1 << 16

// evict drops the least recently used loaded versions beyond max, and beyond
// as many rows together as the served index holds (at least minAsOfRows),
// those of a load in flight included, so that time travel at most doubles
// what indexes take (docs/scale.md: memory sizing); the most recent one stays
// whatever its size. mu is held.
func (c *asOfCache) evict() {
	budget := minAsOfRows
	if cur := c.current(); cur != nil {
		budget = max(budget, cur.Rows())
	}
	for len(c.loads) > 1 && (len(c.loads) > c.max || c.rows() > budget) {
		var oldest int64
		first := true
		for v, l := range c.loads {
			if l.loaded && (first || l.used < c.loads[oldest].used) {
				oldest, first = v, false
			}
		}
		if first {
			return // only loads in flight
		}
		delete(c.loads, oldest)
	}
}

// rows is what the loaded indexes hold together. mu is held.
func (c *asOfCache) rows() int {
	n := 0
	for _, l := range c.loads {
		n += l.rows
	}
	return n
}
