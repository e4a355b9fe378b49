package serving

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/releaselake/releaselake"
)

// ChangeKind says how a version changed a release.
type ChangeKind uint8

// Kinds of Change. A release the new version no longer holds is not a change
// here: subscribers hear of releases published, not of rows removed.
const (
	// ChangeNew is a release the previous version did not hold.
	ChangeNew ChangeKind = iota + 1
	// ChangeBecameStable is a prerelease the new version holds as stable
	// (a prerelease turned GA), whatever else changed with it.
	ChangeBecameStable
	// ChangeUpdated is a release held by both versions with another column
	// changed: re-dated, renamed, yanked, new notes, …
	ChangeUpdated
)

// String is the kind as the GraphQL enum ReleaseChange spells it.
func (k ChangeKind) String() string {
	switch k {
	case ChangeNew:
		return "NEW"
	case ChangeBecameStable:
		return "BECAME_STABLE"
	case ChangeUpdated:
		return "UPDATED"
	}
	return "UNKNOWN"
}

// Change is one release a version added or changed.
type Change struct {
	Kind    ChangeKind
	Release releaselake.Release
}

// Published is what a subscriber hears when the engine swaps in a version:
// the releases it added or changed since the version served before, in
// product key then tag order. Truncated is set when there were more than
// the Differ's bound; Changes then holds the first of them.
type Published struct {
	Version     int64
	CommittedAt time.Time
	Changes     []Change
	Truncated   bool
}

// Differ finds what a newer version added or changed. IndexDiff compares
// the two indexes; the lake now keeps a change feed (Delta's Change Data
// Feed, lake.Store.Changes), and a Differ reading it could replace IndexDiff
// here (serving.Options.Differ), with no change to the broadcaster or its
// subscribers.
type Differ interface {
	// ChangesBetween returns the releases newer added or changed since
	// older, and whether it stopped at its bound. older is never nil.
	ChangesBetween(older, newer *Index) ([]Change, bool)
}

// DefaultMaxChanges bounds the changes IndexDiff reports for one version: a
// normal run adds a handful; a rebuild may change every row, and nobody wants
// a million events.
const DefaultMaxChanges = 10_000

// IndexDiff is a Differ by comparison of the two indexes, product by
// product: the older version's rows of a product by tag, then each of the
// newer one's rows looked up there. Its cost is one pass over both indexes'
// rows (~0.2 s at a million rows on 2 shared CPUs, BenchmarkIndexDiff_million),
// once per version, which the broadcaster spends only when
// somebody is subscribed.
type IndexDiff struct {
	Max int // changes reported at most; DefaultMaxChanges when 0
}

var _ Differ = IndexDiff{}

// ChangesBetween compares older and newer.
func (d IndexDiff) ChangesBetween(older, newer *Index) ([]Change, bool) {
	limit := d.Max
	if limit <= 0 {
		limit = DefaultMaxChanges
	}
	var out []Change
	byTag := map[string]int32{} // one product's older rows; reused
	for _, key := range newer.keys {
		np := newer.products[key]
		rows := np.order[ByVersion]
		clear(byTag)
		if op := older.products[key]; op != nil {
			for _, i := range op.order[ByVersion] {
				byTag[older.tag(i)] = i
			}
		}
		start := len(out)
		for _, i := range rows {
			j, had := byTag[newer.tag(i)]
			kind := ChangeNew
			if had {
				switch was, now := &older.rows[j], &newer.rows[i]; {
				case was.prerelease && !now.prerelease:
					kind = ChangeBecameStable
				case !sameRow(older, was, newer, now):
					kind = ChangeUpdated
				default:
					continue
				}
			}
			if len(out) == limit {
				sortByTag(out[start:])
				return out, true
			}
			out = append(out, Change{Kind: kind, Release: detached(newer.Row(int(i)))})
		}
		sortByTag(out[start:])
	}
	return out, false
}

// sameRow reports whether row a of index x and row b of index y hold the
// same values (their product and tag are known equal), without making
// Releases of them.
func sameRow(x *Index, a *row, y *Index, b *row) bool {
	if a.published != b.published || a.publishedNs != b.publishedNs || a.firstSeen != b.firstSeen ||
		a.firstSeenNs != b.firstSeenNs || a.prerelease != b.prerelease || a.yanked != b.yanked {
		return false
	}
	ax, by := x.arenas[a.arena], y.arenas[b.arena]
	same := func(s, t text) bool { return textOf(ax, s) == textOf(by, t) }
	if !same(a.version, b.version) || !same(a.name, b.name) || !same(a.source, b.source) ||
		!same(a.repo, b.repo) || !same(a.dateSource, b.dateSource) {
		return false
	}
	for k := range a.plain {
		if !same(a.plain[k], b.plain[k]) {
			return false
		}
	}
	return true
}

// detached returns rel with its text copied out of the index's arenas: a
// subscriber holding events of several versions must not keep those
// versions' arenas alive.
func detached(rel releaselake.Release) releaselake.Release {
	for c := range releaselake.StrCol(releaselake.NumStr) {
		p := rel.Str(c)
		*p = strings.Clone(*p)
	}
	return rel
}

func sortByTag(cs []Change) {
	for i := 1; i < len(cs); i++ { // a product's changes in one version are few
		for j := i; j > 0 && cs[j].Release.Tag < cs[j-1].Release.Tag; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// DefaultMaxSubscribers is Broadcaster's bound when none is given.
const DefaultMaxSubscribers = 1000

// subscriberBuffer is how many versions a subscriber may fall behind before
// it is dropped: the engine never waits for a subscriber.
const subscriberBuffer = 16

// Broadcaster tells subscribers of each version the engine swaps in, with
// what it added or changed. At most Max subscribe at once. Publishing never
// blocks: a subscriber subscriberBuffer versions behind is dropped (its
// channel closed, Dropped set), so one stalled client cannot hold the
// engine's load loop or the memory of old versions.
type Broadcaster struct {
	differ Differ
	max    int

	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool          // Close was called: no new subscriber
	done   chan struct{} // closed by Close

	delivered atomic.Int64 // events subscribers' clients were sent (Delivered)
	dropped   atomic.Int64 // subscribers dropped for falling behind
}

// NewBroadcaster returns a broadcaster of at most max subscribers
// (DefaultMaxSubscribers when 0) whose changes d finds (IndexDiff{} when nil).
func NewBroadcaster(max int, d Differ) *Broadcaster {
	if max == 0 {
		max = DefaultMaxSubscribers
	}
	if d == nil {
		d = IndexDiff{}
	}
	return &Broadcaster{differ: d, max: max, subs: map[*Subscription]struct{}{}, done: make(chan struct{})}
}

// Close ends every subscription and refuses new ones (Unavailable): the
// server is shutting down. Done is closed.
func (b *Broadcaster) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	close(b.done)
	for s := range b.subs {
		s.closeLocked()
	}
}

// Done is closed by Close.
func (b *Broadcaster) Done() <-chan struct{} { return b.done }

// Subscription is one subscriber's feed: C receives each version published
// after Subscribe, and is closed by Close or when the subscriber fell behind.
type Subscription struct {
	C       <-chan Published
	c       chan Published
	b       *Broadcaster
	dropped atomic.Bool
	once    sync.Once
}

// Subscribe adds a subscriber; class Unavailable when Max are open.
func (b *Broadcaster) Subscribe() (*Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, releaselake.Errorf(releaselake.Unavailable, "the server is shutting down; subscribe again (on another replica)")
	}
	if len(b.subs) >= b.max {
		return nil, releaselake.Errorf(releaselake.Unavailable,
			"too many subscriptions: this server holds at most %d at once; retry later or on another replica", b.max)
	}
	c := make(chan Published, subscriberBuffer)
	s := &Subscription{C: c, c: c, b: b}
	b.subs[s] = struct{}{}
	return s, nil
}

// Close ends the subscription and closes C. It may be called more than once.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.closeLocked()
}

func (s *Subscription) closeLocked() {
	s.once.Do(func() {
		delete(s.b.subs, s)
		close(s.c)
	})
}

// Dropped reports whether the subscription was closed for falling behind.
func (s *Subscription) Dropped() bool { return s.dropped.Load() }

// Delivered counts n events sent to a subscriber's client.
func (s *Subscription) Delivered(n int) { s.b.delivered.Add(int64(n)) }

// Open returns the number of subscribers.
func (b *Broadcaster) Open() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Max returns the bound on subscribers.
func (b *Broadcaster) Max() int { return b.max }

// Delivered returns the events sent to subscribers' clients since start.
func (b *Broadcaster) Delivered() int64 { return b.delivered.Load() }

// DroppedTotal returns the subscribers dropped for falling behind since start.
func (b *Broadcaster) DroppedTotal() int64 { return b.dropped.Load() }

// Publish tells every subscriber what newer added or changed since older.
// The first load (older nil) tells nothing: a replica starting announces no
// release. Nothing is compared when nobody is subscribed.
func (b *Broadcaster) Publish(older, newer *Index) {
	if older == nil || newer == nil || newer.Version == older.Version || b.Open() == 0 {
		return
	}
	changes, truncated := b.differ.ChangesBetween(older, newer)
	if len(changes) == 0 {
		return
	}
	p := Published{Version: newer.Version, CommittedAt: newer.CommittedAt, Changes: changes, Truncated: truncated}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.c <- p:
		default:
			s.dropped.Store(true)
			b.dropped.Add(1)
			s.closeLocked()
		}
	}
}
