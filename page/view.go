package page

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// View is what the page shows.
type View struct {
	Loaded      bool       // there is a snapshot; when false the page says Pending
	Pending     string     // e.g. "The lake is loading."
	Empty       bool       // the snapshot is of a lake never committed to: "no data yet"
	Ingesting   *time.Time // a (first) ingest is running, since then
	Version     int64
	CommittedAt time.Time
	Now         time.Time // of the request: relative dates ("3 days ago") count from it
	Notices     []string
	Cards       []Card   // in the order shown
	Groups      []Group  // Cards, by category when sorted by it; else one group without a name
	Fresh       []Item   // stable releases within NewWindow before the snapshot, newest first, at most FreshMax
	FreshMore   int      // stable releases within NewWindow beyond the FreshMax listed
	FreshPre    int      // prereleases within NewWindow, not listed in Fresh
	NewestURL   string   // the page of the same products by last release, where FreshMore are
	Unknown     []string // requested keys the snapshot does not have
	Sort        string   // the order shown: "" (as asked), "category", "updated" or "name"
	Sorts       []SortLink
	FeedURL     string // the feed of the same products, relative to the page
}

// FreshMax is how many releases the "new this week" strip lists.
const FreshMax = 12

// Group is the cards of one category ("" when not grouped).
type Group struct {
	Category string
	Cards    []Card
}

// SortLink is a link to the page in another order.
type SortLink struct {
	Label, URL string
	Current    bool
}

// Sorts are the orders of ?sort=, with their labels.
var Sorts = []struct{ Key, Label string }{
	{"category", "category"},
	{"updated", "last release"},
	{"name", "name"},
}

// Card is one product's box on the page.
type Card struct {
	Key, Name, Category string
	Latest              *Item  // greatest stable version
	Pre                 *Item  // newest prerelease, when published after Latest
	Stable              []Item // newest stable releases, newest first
	Prereleases         []Item // prereleases among the newest releases, newest first
	Recent              []Item // the newest releases, prereleases included (the feed's)
	Cadence             *Spark // nil when the snapshot has none, or the product no release
	LastRelease         time.Time
	// Health is the card's state: "" (the snapshot has no health), "never"
	// (no run tried it), "failing", "stale" or "ok".
	Health        string
	LastSuccessAt time.Time
	FailingSince  time.Time // when Health is failing
	Reason        string    // of the failure
	Stale         bool      // no success within the snapshot's stale window (a failing card may be stale too)
}

// None is what a card without a stable release says instead of a version.
func (c Card) None() string {
	switch {
	case c.Health == "":
		return "no stable release known"
	case c.Health == "never":
		return "never fetched"
	case c.Health == "failing" && c.LastSuccessAt.IsZero():
		return "" // the failure says it all
	}
	return "no stable release"
}

// Item is a release on a card.
type Item struct {
	releaselake.Release
	Name string // of its product
	New  bool   // published within NewWindow before the snapshot
}

// Build makes the view of the given product keys (all when empty, in snapshot
// order; otherwise in the order asked, in any case, duplicates dropped) from a
// snapshot, which may be nil when there is none yet, at time now (for
// staleness and relative dates), in the order sortBy (one of Sorts, or ""
// for the default: by category for all products, as asked for some).
func Build(s *Snapshot, keys []string, sortBy string, notices []string, now time.Time) View {
	if sortBy == "" && len(keys) == 0 {
		sortBy = "category"
	}
	v := View{Notices: notices, FeedURL: feedURL(keys), Now: now, Sort: sortBy, Sorts: sortLinks(keys, sortBy)}
	v.NewestURL = sortURL(keys, "updated")
	if s == nil {
		return v
	}
	v.Loaded, v.Version, v.CommittedAt = true, s.Version, s.CommittedAt
	v.Empty = s.Version < 0
	products := s.Products
	if len(keys) > 0 {
		products = nil
		seen, find := map[string]bool{}, s.finder()
		for _, k := range keys {
			p, ok := find(k)
			switch {
			case !ok:
				v.Unknown = append(v.Unknown, k)
			case !seen[p.Key]:
				seen[p.Key] = true
				products = append(products, p)
			}
		}
	}
	for _, p := range products {
		v.Cards = append(v.Cards, s.card(p, now))
	}
	v.Groups = arrange(v.Cards, sortBy)
	v.Cards = v.Cards[:0]
	for _, g := range v.Groups {
		v.Cards = append(v.Cards, g.Cards...)
	}
	v.Fresh, v.FreshPre = fresh(v.Cards)
	if n := len(v.Fresh); n > FreshMax {
		v.Fresh, v.FreshMore = v.Fresh[:FreshMax], n-FreshMax
	}
	return v
}

// card is the card of p.
func (s *Snapshot) card(p Product, now time.Time) Card {
	c := Card{Key: p.Key, Name: p.Name, Category: p.Category}
	item := func(r releaselake.Release) Item {
		r = linkable(r)
		if r.PublishedAt.After(c.LastRelease) {
			c.LastRelease = r.PublishedAt
		}
		return Item{Release: r, Name: p.Name, New: s.isNew(r)}
	}
	if p.Latest != nil {
		it := item(*p.Latest)
		c.Latest = &it
	}
	stable := p.Stable
	if stable == nil { // a snapshot from before Stable: those among the recent
		stable = slices.DeleteFunc(slices.Clone(p.Recent), func(r releaselake.Release) bool { return r.Prerelease })
	}
	for _, r := range stable {
		c.Stable = append(c.Stable, item(r))
	}
	for _, r := range p.Recent {
		it := item(r)
		c.Recent = append(c.Recent, it)
		if r.Prerelease {
			c.Prereleases = append(c.Prereleases, it)
		}
	}
	if len(c.Prereleases) > 0 && (c.Latest == nil || c.Prereleases[0].PublishedAt.After(c.Latest.PublishedAt)) {
		c.Pre = &c.Prereleases[0]
	}
	if p.Cadence != nil && !c.LastRelease.IsZero() { // a product without releases has no cadence to draw
		c.Cadence = sparkline(p.Cadence)
	}
	if s.Health {
		c.health(p.Status, now, time.Duration(s.StaleWindowSeconds)*time.Second)
	}
	return c
}

// arrange orders cards by sortBy: by category (named groups, categories
// alphabetically, uncategorised last, by name within one; one unnamed group
// in snapshot order when no card has a category), by last release (newest
// first, never released last) or by name; "" keeps their order.
func arrange(cards []Card, sortBy string) []Group {
	byName := func(a, b Card) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.Key, b.Key))
	}
	switch sortBy {
	case "name":
		slices.SortStableFunc(cards, byName)
	case "updated":
		slices.SortStableFunc(cards, func(a, b Card) int { return cmp.Or(b.LastRelease.Compare(a.LastRelease), byName(a, b)) })
	case "category":
		if !slices.ContainsFunc(cards, func(c Card) bool { return c.Category != "" }) {
			break
		}
		slices.SortStableFunc(cards, func(a, b Card) int {
			if (a.Category == "") != (b.Category == "") {
				return strings.Compare(b.Category, a.Category) // uncategorised last: "" sorts before any name
			}
			return cmp.Or(strings.Compare(strings.ToLower(a.Category), strings.ToLower(b.Category)), byName(a, b))
		})
		var groups []Group
		for _, c := range cards {
			name := c.Category
			if name == "" {
				name = "Other"
			}
			if len(groups) == 0 || !strings.EqualFold(groups[len(groups)-1].Category, name) {
				groups = append(groups, Group{Category: name})
			}
			g := &groups[len(groups)-1]
			g.Cards = append(g.Cards, c)
		}
		return groups
	}
	return []Group{{Cards: cards}}
}

// fresh returns the stable releases of cards that are new, newest first, and
// how many new prereleases there are besides. Releases of the same instant
// (a crawl that saw them first) put a major or minor release (3.6.0) before a
// patch, then go by product name: the news first, not the alphabet.
func fresh(cards []Card) (items []Item, pre int) {
	for _, c := range cards {
		for _, it := range c.Stable {
			if it.New {
				items = append(items, it)
			}
		}
		for _, it := range c.Prereleases {
			if it.New {
				pre++
			}
		}
	}
	slices.SortStableFunc(items, func(a, b Item) int {
		return cmp.Or(b.PublishedAt.Compare(a.PublishedAt), cmp.Compare(patch(a.Version), patch(b.Version)),
			strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), releaselake.CompareVersions(b.Version, a.Version))
	})
	return items, pre
}

// patch is 1 for a patch release (1.2.3, 1.2.3.4), 0 for a major or minor one
// (3.6.0, 2.0, 2026.1) or what is not a version.
func patch(version string) int {
	key, ok := releaselake.VersionOf(strings.TrimPrefix(version, "v")).ReleaseKey()
	if ok && (key[2] != 0 || key[3] != 0) {
		return 1
	}
	return 0
}

// sortLinks are the links to the page of the same products in each order.
func sortLinks(keys []string, current string) []SortLink {
	links := make([]SortLink, len(Sorts))
	for i, s := range Sorts {
		links[i] = SortLink{Label: s.Label, URL: sortURL(keys, s.Key), Current: s.Key == current}
	}
	return links
}

// sortURL is the page of the given products (all when none) in the order sortBy.
func sortURL(keys []string, sortBy string) string {
	products := ""
	if q := feedURL(keys); strings.Contains(q, "?") {
		products = "&" + q[strings.IndexByte(q, '?')+1:]
	}
	return "?sort=" + sortBy + products
}

// health sets the card's health from its product's status.
func (c *Card) health(st *Status, now time.Time, window time.Duration) {
	if st == nil || (st.LastSuccessAt.IsZero() && st.FailingSince.IsZero()) {
		c.Health = "never"
		return
	}
	c.LastSuccessAt, c.FailingSince, c.Reason = st.LastSuccessAt, st.FailingSince, st.Reason
	since := st.LastSuccessAt
	if since.IsZero() {
		since = st.FailingSince
	}
	c.Stale = window > 0 && now.Sub(since) > window
	switch {
	case !st.FailingSince.IsZero():
		c.Health = "failing"
	case c.Stale:
		c.Health = "stale"
	default:
		c.Health = "ok"
	}
}
