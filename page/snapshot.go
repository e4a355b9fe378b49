package page

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// RecentCount is how many recent releases a product carries in a snapshot, and
// so on its card and in the feed.
const RecentCount = 5

// NotesBytes is how much of the latest release's notes a snapshot carries,
// for the page (the release's URL has them all); recent releases carry none.
// Notes run to 125,000 characters on GitHub: whole, they would swell every
// push past what the page server takes (MaxSnapshotBytes).
const NotesBytes = 2000

// SummaryBytes is how much of a recent release's notes a snapshot carries: their
// first SummaryLines non-blank lines, for the feed's entries.
const (
	SummaryBytes = 280
	SummaryLines = 3
)

// CadenceMonths is how many months of stable releases a product's cadence
// counts, up to and including the snapshot's month.
const CadenceMonths = 24

// NewWindow is how long a release counts as new: published within NewWindow
// before the snapshot's time (not the request's, so that a page of one snapshot
// never changes).
const NewWindow = 7 * 24 * time.Hour

// Snapshot is everything the page and the feed show, as of one lake version:
// every product of the catalog, in catalog order, with its latest stable release
// and its most recent releases. serve builds it from its index; it is what is
// pushed to the page server, which keeps it on disk and serves the same page.
type Snapshot struct {
	Version     int64     `json:"version"`     // lake version
	CommittedAt time.Time `json:"committedAt"` // commit time of that version (UTC): "data as of"
	Products    []Product `json:"products"`
	// Health says the products carry their Status (snapshots made before
	// there was one do not: their cards say what they always said).
	Health bool `json:"health,omitempty"`
	// StaleWindowSeconds is how long a product may go without a success
	// before its card says stale (releaselake.StaleWindow); 0: never.
	StaleWindowSeconds int64 `json:"staleWindowSeconds,omitempty"`
	// Changes are the last changes the lake's change feed recorded of the
	// releases the snapshot shows (changes.go); absent from snapshots made
	// before there were any, or when the feed could not be read: the feed then
	// says what the snapshot alone tells.
	Changes []Change `json:"changes,omitempty"`
}

// Status is how fetching a product has gone, as its card shows it; nil or
// zero: no run has tried it.
type Status struct {
	LastSuccessAt time.Time `json:"lastSuccessAt,omitzero"`
	FailingSince  time.Time `json:"failingSince,omitzero"` // its last attempt failed, and since then
	Reason        string    `json:"reason,omitempty"`      // the last failure in a few words
}

// Product is one product of a snapshot. Category, Stable and Cadence are
// absent from snapshots made before they existed: the page then groups
// nothing, takes the stable releases from Recent and draws no cadence.
type Product struct {
	Key      string               `json:"key"`
	Name     string               `json:"name"`
	Category string               `json:"category,omitempty"` // the catalog's; "" when it gives none
	Latest   *releaselake.Release `json:"latest,omitempty"`   // greatest stable version; nil if none
	// Recent are the newest published releases, newest first, prereleases
	// included; at most RecentCount.
	Recent []releaselake.Release `json:"recent"`
	// Stable are the newest published stable releases, newest first; at most
	// RecentCount.
	Stable []releaselake.Release `json:"stable,omitempty"`
	// Cadence counts the stable releases published in each of the
	// CadenceMonths months up to the snapshot's (UTC), oldest month first.
	Cadence []int   `json:"cadence,omitempty"`
	Status  *Status `json:"status,omitempty"` // when Snapshot.Health; nil: never tried
}

// NewSnapshot returns the snapshot of an index for the products of cat. It
// returns nil for a nil index (the lake is not loaded yet).
func NewSnapshot(cat *releaselake.Catalog, ix *serving.Index) *Snapshot {
	if ix == nil {
		return nil
	}
	s := &Snapshot{Version: ix.Version, CommittedAt: ix.CommittedAt.UTC(), Products: []Product{}}
	stable := false
	for _, p := range cat.Products() {
		sp := Product{Key: p.Key, Name: p.Name, Category: p.Category, Recent: []releaselake.Release{}}
		if l, ok := ix.Latest(p.Key); ok {
			l.Notes = excerpt(l.Notes, NotesBytes)
			sp.Latest = &l
		}
		rs := ix.Releases(serving.Filter{Products: []string{p.Key}})
		sp.Recent = summarised(rs[:min(RecentCount, len(rs))])
		rs = ix.Releases(serving.Filter{Products: []string{p.Key}, Prerelease: &stable})
		sp.Stable = summarised(rs[:min(RecentCount, len(rs))])
		sp.Cadence = cadence(rs, s.CommittedAt)
		s.Products = append(s.Products, sp)
	}
	return s
}

// summarised returns copies of rs whose notes are cut to their first lines.
func summarised(rs []releaselake.Release) []releaselake.Release {
	out := make([]releaselake.Release, len(rs))
	for i, r := range rs {
		r.Notes = summary(r.Notes)
		out[i] = r
	}
	return out
}

// summary returns the first SummaryLines non-blank lines of notes, trimmed,
// at most SummaryBytes of them.
func summary(notes string) string {
	var lines []string
	for l := range strings.Lines(notes) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
			if len(lines) == SummaryLines {
				break
			}
		}
	}
	return excerpt(strings.Join(lines, "\n"), SummaryBytes)
}

// cadence counts the releases rs published in each of the CadenceMonths months
// up to and including the month of at, oldest first.
func cadence(rs []releaselake.Release, at time.Time) []int {
	counts := make([]int, CadenceMonths)
	last := monthIndex(at)
	for _, r := range rs {
		if i := CadenceMonths - 1 - (last - monthIndex(r.PublishedAt)); i >= 0 && i < CadenceMonths {
			counts[i]++
		}
	}
	return counts
}

func monthIndex(t time.Time) int {
	t = t.UTC()
	return t.Year()*12 + int(t.Month()) - 1
}

// WithHealth returns a copy of s whose products carry their health from h,
// with staleness after window (0: never).
func (s *Snapshot) WithHealth(h releaselake.Health, window time.Duration) *Snapshot {
	if s == nil {
		return nil
	}
	c := *s
	c.Health, c.StaleWindowSeconds = true, int64(window/time.Second)
	c.Products = make([]Product, len(s.Products))
	for i, p := range s.Products {
		if ph, ok := h.Products[p.Key]; ok && (!ph.LastSuccessAt.IsZero() || ph.Failing()) {
			p.Status = &Status{LastSuccessAt: ph.LastSuccessAt.UTC(), FailingSince: ph.FailingSince.UTC()}
			if ph.Failing() {
				p.Status.Reason = ph.Reason
			}
		}
		c.Products[i] = p
	}
	return &c
}

// excerpt returns s, or its first n bytes or fewer (whole runes) and "…".
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Validate reports what makes s unfit to serve: a negative version, a product
// without key or name, a key twice, a release of another product, more than
// RecentCount recent or stable releases, or a cadence longer than
// CadenceMonths or with a negative count, or a change of a release it does not
// show (validateChanges).
func (s *Snapshot) Validate() error {
	if s.Version < 0 {
		return fmt.Errorf("version %d: want a committed lake version (>= 0)", s.Version)
	}
	if s.CommittedAt.IsZero() {
		return fmt.Errorf("committedAt is missing")
	}
	if len(s.Products) == 0 {
		return fmt.Errorf("no products")
	}
	seen := map[string]bool{}
	for i, p := range s.Products {
		if p.Key == "" || p.Name == "" {
			return fmt.Errorf("products[%d]: key and name are required", i)
		}
		if seen[p.Key] {
			return fmt.Errorf("products[%d]: key %q twice", i, p.Key)
		}
		seen[p.Key] = true
		if len(p.Recent) > RecentCount || len(p.Stable) > RecentCount {
			return fmt.Errorf("product %q: %d recent and %d stable releases, at most %d each", p.Key, len(p.Recent), len(p.Stable), RecentCount)
		}
		if len(p.Cadence) > CadenceMonths || slices.ContainsFunc(p.Cadence, func(n int) bool { return n < 0 }) {
			return fmt.Errorf("product %q: cadence of %d months (at most %d), counts must not be negative", p.Key, len(p.Cadence), CadenceMonths)
		}
		rs := slices.Concat(p.Recent, p.Stable)
		if p.Latest != nil {
			rs = append(rs, *p.Latest)
		}
		for _, r := range rs {
			if r.Product != p.Key {
				return fmt.Errorf("product %q: holds a release of %q", p.Key, r.Product)
			}
			if r.Version == "" || r.PublishedAt.IsZero() {
				return fmt.Errorf("product %q: a release without version or publishedAt", p.Key)
			}
		}
	}
	return s.validateChanges()
}

// Encode returns the JSON of s, the body of a push.
func (s *Snapshot) Encode() ([]byte, error) { return json.Marshal(s) }

// Hash returns a digest of s's content: two snapshots with the same hash show the
// same page.
func (s *Snapshot) Hash() string {
	b, err := s.Encode()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Decode parses and validates a snapshot.
func Decode(b []byte) (*Snapshot, error) {
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("invalid snapshot: %w", err)
	}
	return &s, nil
}

// finder returns a function finding a product by its key, in any case: keys
// are lower-case in the default catalog, but people write "Vue". One map per
// call, so that many keys against a large catalog stay linear.
func (s *Snapshot) finder() func(key string) (Product, bool) {
	byKey := make(map[string]int, len(s.Products))
	for i, p := range s.Products {
		byKey[strings.ToLower(p.Key)] = i
	}
	return func(key string) (Product, bool) {
		i, ok := byKey[strings.ToLower(key)]
		if !ok {
			return Product{}, false
		}
		return s.Products[i], true
	}
}

// isNew reports whether r was published within NewWindow before the snapshot.
func (s *Snapshot) isNew(r releaselake.Release) bool {
	return r.PublishedAt.After(s.CommittedAt.Add(-NewWindow))
}

// Health is where snapshots get what the index alone does not hold: the
// products' health (State returns it; nil: snapshots carry none; Window is the
// schedule's stale window, 0: never) and their releases' last changes.
type Health struct {
	State   func() releaselake.Health
	Window  time.Duration
	Changes Changes
}

// apply gives s the products' health and the changes, if h has any to give.
func (h Health) apply(ctx context.Context, s *Snapshot) *Snapshot {
	if h.State != nil {
		s = s.WithHealth(h.State(), h.Window)
	}
	return h.Changes.apply(ctx, s)
}

// FromIndex returns a function giving the snapshot of the index that ix returns,
// with the products' health, built again only when the index or the health
// changes (serve swaps in a new index per commit; each run records health).
func FromIndex(cat *releaselake.Catalog, ix func() *serving.Index, health Health) func() *Snapshot {
	type memo struct {
		ix   *serving.Index
		run  string
		at   time.Time
		snap *Snapshot
	}
	var last atomic.Pointer[memo]
	var building sync.Mutex // the requests that find it stale share one build
	return func() *Snapshot {
		cur := ix()
		var h releaselake.Health
		if health.State != nil {
			h = health.State()
		}
		fresh := func(m *memo) bool { return m != nil && m.ix == cur && m.run == h.Run && m.at.Equal(h.UpdatedAt) }
		m := last.Load()
		if fresh(m) {
			return m.snap
		}
		building.Lock()
		defer building.Unlock()
		if m = last.Load(); fresh(m) {
			return m.snap // built by the request this one waited for
		}
		snap := NewSnapshot(cat, cur)
		if health.State != nil && snap != nil {
			snap = snap.WithHealth(h, health.Window)
		}
		if m != nil && m.ix == cur && snap != nil { // only the health changed: the changes did not
			snap.Changes = m.snap.Changes
		} else {
			snap = health.Changes.apply(context.Background(), snap)
		}
		last.Store(&memo{ix: cur, run: h.Run, at: h.UpdatedAt, snap: snap})
		return snap
	}
}

// Lake is what Latest reads of the lake (the lake's Store is one).
type Lake interface {
	Head(ctx context.Context) (int64, error)
	Snapshot(ctx context.Context) (releaselake.Snapshot, error)
}

// Latest returns the snapshot of the newest committed version of l, with the
// products' health, nil if there is none: of the index served() returns when
// it is that version, else of the version read from l.
func Latest(ctx context.Context, cat *releaselake.Catalog, l Lake, served func() *serving.Index, health Health) (*Snapshot, error) {
	head, err := l.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("read lake head: %w", err)
	}
	if head == releaselake.NoVersion {
		return nil, nil
	}
	ix := served()
	if ix == nil || ix.Version != head {
		snap, err := l.Snapshot(ctx)
		if err != nil {
			return nil, fmt.Errorf("read lake: %w", err)
		}
		ix = serving.NewIndex(snap)
	}
	return health.apply(ctx, NewSnapshot(cat, ix)), nil
}
