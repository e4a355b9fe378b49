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
// once.
func asOfIndexes(
	versionAsOf func(ctx context.Context, t time.Time) (int64, error),
	indexAt func(ctx context.Context, version int64) (*Index, error),
	current func() *Index,
	n int,
) func(ctx context.Context, t time.Time) (*Index, error) {
	c := &asOfCache{versionAsOf: versionAsOf, indexAt: indexAt, current: current, max: max(n, 1),
		loads: map[int64]*asOfLoad{}}
	return c.at
}

type asOfCache struct {
	versionAsOf func(ctx context.Context, t time.Time) (int64, error)
	indexAt     func(ctx context.Context, version int64) (*Index, error)
	current     func() *Index
	max         int

	mu    sync.Mutex
	loads map[int64]*asOfLoad
	tick  uint64
}

// asOfLoad is one version's index, loaded or being loaded.
type asOfLoad struct {
	done chan struct{}
	ix   *Index
	err  error
	used uint64
	rows int // once loaded; under asOfCache.mu
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
	c.evict()
	c.mu.Unlock()

	ix, err := c.indexAt(context.WithoutCancel(ctx), v)
	c.mu.Lock()
	if err != nil {
		ix = nil
		if c.loads[v] == l {
			delete(c.loads, v) // try again next time
		}
	} else {
		l.rows = ix.Rows()
		c.evict()
	}
	c.mu.Unlock()
	l.ix, l.err = ix, err
	close(l.done)
	return l.ix, l.err
}

// minAsOfRows is the rows the older indexes may hold together however small
// the served one is (~16 MiB).
const minAsOfRows = 1 << 16

// evict drops the least recently used versions beyond max, and beyond as
// many rows together as the served index holds (at least minAsOfRows), so
// that time travel at most doubles what indexes take (README: memory
// sizing); the most recent one stays whatever its size. mu is held.
func (c *asOfCache) evict() {
	budget := minAsOfRows
	if cur := c.current(); cur != nil {
		budget = max(budget, cur.Rows())
	}
	for len(c.loads) > 1 && (len(c.loads) > c.max || c.rows() > budget) {
		var oldest int64
		first := true
		for v, l := range c.loads {
			if first || l.used < c.loads[oldest].used {
				oldest, first = v, false
			}
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
