package graph

import (
	"context"
	"sync"
	"time"

	"github.com/releaselake/releaselake"
)

// AsOfIndexes returns a Resolver.AsOf over a lake that can read its older
// versions: versionAsOf finds the newest version committed at or before t
// (NoVersion if none), indexAt reads one into an index. The index being served answers
// for its own version; the n most recently used older indexes are kept, since
// a committed version never changes; concurrent requests for the same version
// load it once.
func AsOfIndexes(
	versionAsOf func(ctx context.Context, t time.Time) (int64, error),
	indexAt func(ctx context.Context, version int64) (*releaselake.Index, error),
	current func() *releaselake.Index,
	n int,
) func(ctx context.Context, t time.Time) (*releaselake.Index, error) {
	c := &asOfCache{versionAsOf: versionAsOf, indexAt: indexAt, current: current, max: max(n, 1),
		loads: map[int64]*asOfLoad{}}
	return c.at
}

type asOfCache struct {
	versionAsOf func(ctx context.Context, t time.Time) (int64, error)
	indexAt     func(ctx context.Context, version int64) (*releaselake.Index, error)
	current     func() *releaselake.Index
	max         int

	mu    sync.Mutex
	loads map[int64]*asOfLoad
	tick  uint64
}

// asOfLoad is one version's index, loaded or being loaded.
type asOfLoad struct {
	done chan struct{}
	ix   *releaselake.Index
	err  error
	used uint64
}

func (c *asOfCache) at(ctx context.Context, t time.Time) (*releaselake.Index, error) {
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

	l.ix, l.err = c.indexAt(context.WithoutCancel(ctx), v)
	if l.err != nil {
		l.ix = nil
		c.mu.Lock()
		if c.loads[v] == l {
			delete(c.loads, v) // try again next time
		}
		c.mu.Unlock()
	}
	close(l.done)
	return l.ix, l.err
}

// evict drops the least recently used versions beyond max. mu is held.
func (c *asOfCache) evict() {
	for len(c.loads) > c.max {
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
