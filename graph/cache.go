package graph

import (
	"container/list"
	"hash/maphash"
	"strconv"
	"sync"

	"github.com/releaselake/releaselake/serving"
)

// responseCache keeps whole answers to queries, keyed by the raw request
// (method, Accept, query string or body: the operation, its variables and
// extensions) for one index at a time. A new index empties it, so an entry is
// never served for another lake version. Bounded in bytes, least recently used
// out first. A request is kept only the second time it is seen (a doorkeeper,
// as in TinyLFU), so one-off queries neither cost a copy nor push repeated ones
// out.
type responseCache struct {
	mu    sync.Mutex
	seed  maphash.Seed
	seen  *[maxSeen]uint64    // hashes of keys asked once, by their low bits (0: none)
	ix    *serving.Index      // the generation the entries belong to
	adv   *serving.Advisories // and the advisories and facts served with it
	items map[string]*list.Element
	lru   list.List // of *cacheEntry, most recent at the front
	size  int       // bytes of keys and bodies held
	max   int
}

type cacheEntry struct {
	key                        string
	op                         string   // the operation name the request gave
	contentType, contentLength []string // the answer's headers, set as they are
	body                       []byte
}

// maxSeen is the doorkeeper's size: 512 KiB of hashes, direct-mapped, so a
// key seen once is forgotten when another lands on its slot (rather than when
// a map of them fills up, as before: a map that grew, and was cleared, on
// every distinct request cost more than the rest of the cache).
const maxSeen = 1 << 16

func newResponseCache(maxBytes int) *responseCache {
	return &responseCache{items: map[string]*list.Element{}, max: maxBytes, seed: maphash.MakeSeed(), seen: new([maxSeen]uint64)}
}

// get returns the answer to key for index ix served with adv (the
// advisories and facts, which change without a new index), nil if there is none.
func (c *responseCache) get(ix *serving.Index, adv *serving.Advisories, key []byte) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ix != ix || c.adv != adv {
		return nil
	}
	el, ok := c.items[string(key)]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cacheEntry)
}

// put keeps an answer, and its Content-Type, for index ix if its key was seen
// before. Answers too big for a sixteenth of the cache are not kept. A newer
// index than the cache's starts a new generation.
func (c *responseCache) put(ix *serving.Index, adv *serving.Advisories, key []byte, op string, contentType []string, body []byte) {
	n := len(key) + len(body)
	if n > c.max/16 {
		return
	}
	h := maphash.Bytes(c.seed, key) | 1 // never 0, an empty slot
	slot := &c.seen[h%maxSeen]
	c.mu.Lock()
	if *slot != h {
		*slot = h
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	e := &cacheEntry{key: string(key), op: op, body: append([]byte(nil), body...),
		contentType: contentType, contentLength: []string{strconv.Itoa(len(body))}}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ix != ix || c.adv != adv {
		if c.ix != nil && ix.Version < c.ix.Version {
			return // a request that began before the newer index was swapped in
		}
		clear(c.items)
		c.lru.Init()
		c.ix, c.adv, c.size = ix, adv, 0
	}
	if _, ok := c.items[e.key]; ok {
		return
	}
	c.items[e.key] = c.lru.PushFront(e)
	c.size += n
	for c.size > c.max {
		old := c.lru.Remove(c.lru.Back()).(*cacheEntry)
		delete(c.items, old.key)
		c.size -= len(old.key) + len(old.body)
	}
}
