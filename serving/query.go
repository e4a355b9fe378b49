package serving

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// SortKey is what a listing of releases is ordered by.
type SortKey uint8

// Sort keys. Each is a total order (ties are broken down to the tag), so a page
// cursor always names one position.
const (
	// ByPublished: publishedAt, then product key, version and tag (see Less).
	ByPublished SortKey = iota
	// ByVersion: product key (always ascending), then version order, then tag.
	ByVersion
	// ByFirstSeen: firstSeenAt, then as ByPublished.
	ByFirstSeen
	numSortKeys
)

// Sort is an order for listing releases: newest (or greatest) first unless Asc.
// Asc reverses the order, except that ByVersion keeps products ascending.
type Sort struct {
	Key SortKey
	Asc bool
}

// lessVersion is ByVersion's descending order within one product: greatest
// version first, then by tag.
func lessVersion(a, b *releaselake.Release) bool {
	if c := releaselake.CompareVersions(a.Version, b.Version); c != 0 {
		return c > 0
	}
	return a.Tag < b.Tag
}

// lessFirstSeen is ByFirstSeen's descending order.
func lessFirstSeen(a, b *releaselake.Release) bool {
	if !a.FirstSeenAt.Equal(b.FirstSeenAt) {
		return a.FirstSeenAt.After(b.FirstSeenAt)
	}
	return releaselake.Less(a, b)
}

// Filter selects releases.
type Filter struct {
	Products   []string   // catalog keys; nil means all products
	Since      *time.Time // publishedAt >= Since
	Until      *time.Time // publishedAt < Until
	Prerelease *bool      // only prereleases (true) or only stable ones (false)
	SeenSince  *time.Time // firstSeenAt >= SeenSince
}

// span is a Filter's since/until/seenSince as instants; has* is false for a
// bound not given.
type span struct {
	since, until, seen          instant
	hasSince, hasUntil, hasSeen bool
}

func (f *Filter) span() span {
	var w span
	if f.Since != nil {
		w.since, w.hasSince = instantOf(*f.Since), true
	}
	if f.Until != nil {
		w.until, w.hasUntil = instantOf(*f.Until), true
	}
	if f.SeenSince != nil {
		w.seen, w.hasSeen = instantOf(*f.SeenSince), true
	}
	return w
}

func (f *Filter) match(w *span, r *row) bool {
	if f.Prerelease != nil && r.prerelease != *f.Prerelease {
		return false
	}
	if w.hasSeen && r.firstSeenAt().before(w.seen) {
		return false
	}
	at := r.publishedAt()
	if w.hasSince && at.before(w.since) {
		return false
	}
	return !w.hasUntil || at.before(w.until)
}

// Releases returns every release that matches f, in Less order, as a new slice.
func (ix *Index) Releases(f Filter) []releaselake.Release {
	p := ix.Page(Query{Filter: f, First: len(ix.rows)})
	out := make([]releaselake.Release, len(p.Rows))
	for i, r := range p.Rows {
		out[i] = ix.Row(int(r))
	}
	return out
}

// Query asks for one page of releases: the First after After (forward), or
// with Backward the First before After (Relay's last/before).
type Query struct {
	Filter
	Sort Sort
	// After, if not nil, holds the sort fields of the release the page starts
	// after (Product, Tag, Version, PublishedAt, FirstSeenAt): keyset paging, so
	// pages stay stable when rows are added or removed between requests. With
	// Backward, the release the page ends before.
	After *releaselake.Release
	First int // page size; at most First releases are returned
	// Backward takes the page from the end of the list (or from just before
	// After) towards its start; the page's rows are still in Sort order.
	Backward bool
}

// Page is one page of a listing.
type Page struct {
	Rows    []int32 // the row number of each release of the page (see Index.Row), in the query's Sort order
	Total   int     // releases matching the filter, across all pages
	HasNext bool    // more releases follow this page
	HasPrev bool    // more releases come before this page
}

// Page returns the releases matching q.Filter in q.Sort order, starting after
// q.After, at most q.First of them (with q.Backward, the last q.First before
// q.After). Unknown product keys match nothing. HasNext and HasPrev are exact:
// a page that begins (ends) at a cursor looks for one release before (after)
// it, a walk no longer than the page's own.
func (ix *Index) Page(q Query) Page {
	first := max(q.First, 0)
	if q.Products != nil {
		q.Products = uniqueSorted(q.Products) // once for count and runs
	}
	w := q.Filter.span()
	var short [8]run // the usual few products' runs, on the stack
	runs, total := ix.runs(&q, &w, short[:0])
	pg := Page{Total: total}
	if pg.Total == 0 {
		return pg
	}
	if first == 0 && q.After == nil {
		// No rows asked for: whether there are any is the count. (Walking the
		// merge to find one, under a filter that few rows pass, could take the
		// whole index, for a page priced at 1.)
		pg.HasNext, pg.HasPrev = !q.Backward, q.Backward
		return pg
	}
	rows, more := ix.walk(&q, &w, runs, first, pg.Total)
	// Whether releases lie before the page: one step back from its first
	// row. An empty page starts just past the cursor, so the release the
	// cursor names counts too, as it does before a page's first row:
	// `after: a, first: 0` and `after: a, first: 1` agree.
	behind := false
	if q.After != nil {
		from := q.After
		if len(rows) > 0 {
			r := ix.Row(int(rows[0]))
			from = &r
		}
		if len(rows) == 0 && ix.atCursor(&q, &w) {
			behind = true
		} else {
			back := q
			back.After, back.Backward = from, !q.Backward
			short2, _ := ix.runs(&back, &w, short[:0])
			_, behind = ix.walk(&back, &w, short2, 0, 0)
		}
	}
	if q.Backward {
		slices.Reverse(rows)
		pg.HasPrev, pg.HasNext = more, behind
	} else {
		pg.HasNext, pg.HasPrev = more, behind
	}
	pg.Rows = rows
	return pg
}

// atCursor reports whether the release q.After names is in the index, where
// the cursor puts it in q's order (the same version and times), and matches
// q's filter.
func (ix *Index) atCursor(q *Query, w *span) bool {
	c := q.After
	if q.Products != nil {
		if _, ok := slices.BinarySearch(q.Products, c.Product); !ok { // sorted by Page
			return false
		}
	}
	pi := ix.products[c.Product]
	if pi == nil {
		return false
	}
	i, ok := ix.byTag(pi, c.Tag)
	if !ok {
		return false
	}
	r := &ix.rows[i]
	return ix.version(i) == c.Version && r.publishedAt() == instantOf(c.PublishedAt) &&
		r.firstSeenAt() == instantOf(c.FirstSeenAt) && q.Filter.match(w, r)
}

// walk takes up to n rows of runs that match the filter, from q.After in
// q's direction, and reports whether more follow them; total bounds the
// rows there can be.
func (ix *Index) walk(q *Query, w *span, runs []run, n, total int) ([]int32, bool) {
	if q.After != nil {
		ix.skipTo(runs, q.Sort, q.Backward, q.After)
	}
	m := ix.merge(runs, q.Sort)
	var rows []int32
	if n > 0 {
		rows = make([]int32, 0, min(n, total))
	}
	for {
		i, ok := m.next()
		if !ok {
			return rows, false
		}
		if !q.Filter.match(w, &ix.rows[i]) {
			continue
		}
		if len(rows) == n {
			return rows, true
		}
		rows = append(rows, i)
	}
}

// runs returns the orderings a query merges, one per asked product (sorted,
// without duplicates) or the global one, and how many releases match the
// filter, counted from the ByPublished orderings and their prerelease counts
// without visiting rows. Each product's since/until window is found once, for
// both: ByPublished runs are cut to it; for the other keys the window is
// checked row by row. The runs are appended to out.
func (ix *Index) runs(q *Query, w *span, out []run) ([]run, int) {
	total := 0
	asc := q.Sort.Asc != q.Backward // a run walked from its back
	add := func(order *[numSortKeys][]int32, pre []int32) {
		lo, hi := ix.window(order[ByPublished], w)
		seen := ix.seenWindow(order[ByFirstSeen], w)
		total += ix.countSeen(order, pre, lo, hi, seen, &q.Filter, w)
		idx := order[q.Sort.Key]
		switch {
		case q.Sort.Key == ByFirstSeen:
			idx = idx[:seen]
		case fewSeen(seen, w):
			idx = ix.inOrder(order[ByFirstSeen][:seen], q.Sort.Key)
		case q.Sort.Key == ByPublished:
			idx = idx[lo:hi]
		}
		out = append(out, run{idx: idx, asc: asc})
	}
	switch {
	case q.Products != nil:
		for _, k := range q.Products {
			if pi := ix.products[k]; pi != nil {
				add(&pi.order, pi.pre)
			}
		}
	case q.Sort.Key != ByVersion:
		add(&ix.order, ix.pre)
	default:
		// Every product's run in key order (skipTo reads them one product at
		// a time), counted at once.
		lo, hi := ix.window(ix.order[ByPublished], w)
		total = ix.countSeen(&ix.order, ix.pre, lo, hi, ix.seenWindow(ix.order[ByFirstSeen], w), &q.Filter, w)
		if seen := ix.seenWindow(ix.order[ByFirstSeen], w); fewSeen(seen, w) {
			// The few rows seen since, in version order, cut into one run a product.
			idx := ix.inOrder(ix.order[ByFirstSeen][:seen], ByVersion)
			for len(idx) > 0 {
				p := ix.rows[idx[0]].product
				n := 1
				for n < len(idx) && ix.rows[idx[n]].product == p {
					n++
				}
				out = append(out, run{idx: idx[:n:n], asc: asc})
				idx = idx[n:]
			}
			break
		}
		for _, k := range ix.keys {
			out = append(out, run{idx: ix.products[k].order[ByVersion], asc: asc})
		}
	}
	if q.Sort.Key == ByVersion && q.Backward {
		// The merge takes ByVersion runs one after the other, products
		// ascending; backward, the last product comes first.
		slices.Reverse(out)
	}
	return out, total
}

// seenWindow returns how many rows at the front of a ByFirstSeen ordering
// (newest first) were first seen at or after the filter's seenSince: all
// without one.
func (ix *Index) seenWindow(idx []int32, w *span) int {
	if !w.hasSeen {
		return len(idx)
	}
	return sort.Search(len(idx), func(i int) bool { return ix.rows[idx[i]].firstSeenAt().before(w.seen) })
}

// countSeen counts the rows of an ordering that match f: from the counts
// kept per ordering without seenSince, within the window [lo, hi) of its
// ByPublished ordering; with it, the first seen rows of its ByFirstSeen
// ordering are the ones seen since: it visits those, or the others (the
// whole count less the matching others), whichever are fewer.
func (ix *Index) countSeen(order *[numSortKeys][]int32, pre []int32, lo, hi, seen int, f *Filter, w *span) int {
	all := f.count(pre, lo, hi)
	if !w.hasSeen {
		return all
	}
	fs := order[ByFirstSeen]
	if seen <= len(fs)-seen {
		return ix.countIn(fs[:seen], f, w)
	}
	unseen := *w
	unseen.hasSeen = false
	return all - ix.countIn(fs[seen:], f, &unseen)
}

// fewSeenRows is how many rows a seenSince filter may keep for a page to
// walk them alone, sorted (inOrder), rather than the whole ordering: with a
// few releases new this week among a million, a page would otherwise cross
// every row to find there are no more. Sorting them costs well under a
// millisecond; more rows seen since are dense enough for the walk to find a
// page soon. A variable for the tests, which take both ways.
var fewSeenRows = 4096

func fewSeen(seen int, w *span) bool { return w.hasSeen && seen <= fewSeenRows }

// inOrder returns a copy of rows in key's descending order: ByPublished
// by rank, ByVersion by product key, then greatest version first, then by
// tag, as the index's orderings are.
func (ix *Index) inOrder(rows []int32, key SortKey) []int32 {
	out := slices.Clone(rows)
	if key == ByVersion {
		slices.SortFunc(out, func(a, b int32) int {
			if c := cmp.Compare(ix.rows[a].product, ix.rows[b].product); c != 0 {
				return c // ix.keys is ascending
			}
			if c := releaselake.CompareVersions(ix.version(b), ix.version(a)); c != 0 {
				return c
			}
			return strings.Compare(ix.tag(a), ix.tag(b))
		})
		return out
	}
	slices.SortFunc(out, func(a, b int32) int { return cmp.Compare(ix.pubRank[a], ix.pubRank[b]) })
	return out
}

// countIn counts the rows of idx that match f.
func (ix *Index) countIn(idx []int32, f *Filter, w *span) int {
	n := 0
	for _, i := range idx {
		if f.match(w, &ix.rows[i]) {
			n++
		}
	}
	return n
}

// window returns the part [lo, hi) of a ByPublished ordering inside since/until.
func (ix *Index) window(idx []int32, w *span) (lo, hi int) {
	lo, hi = 0, len(idx)
	// Newest first: Until cuts the front, Since the back.
	if w.hasUntil {
		lo = sort.Search(len(idx), func(i int) bool { return ix.rows[idx[i]].publishedAt().before(w.until) })
	}
	if w.hasSince {
		hi = sort.Search(len(idx), func(i int) bool { return ix.rows[idx[i]].publishedAt().before(w.since) })
	}
	return lo, max(lo, hi)
}

// count returns how many releases of the window [lo, hi) of a ByPublished
// ordering f's prerelease filter keeps; pre counts the ordering's prereleases.
func (f *Filter) count(pre []int32, lo, hi int) int {
	if f.Prerelease == nil {
		return hi - lo
	}
	p := int(pre[hi] - pre[lo])
	if *f.Prerelease {
		return p
	}
	return hi - lo - p
}

// skipTo drops from each run the rows that come before or at the cursor c
// in order s (with backward, those at or after it).
func (ix *Index) skipTo(runs []run, s Sort, backward bool, c *releaselake.Release) {
	less := sortLess(s.Key)
	for i := range runs {
		r := &runs[i]
		if len(r.idx) == 0 {
			continue
		}
		if s.Key == ByVersion {
			// Products are ascending whatever the direction.
			switch p := ix.keys[ix.rows[r.idx[0]].product]; {
			case p == c.Product:
			case (p < c.Product) != backward:
				r.idx = nil
				continue
			default:
				continue
			}
		}
		at := func(k int) *releaselake.Release { rel := ix.Row(int(r.idx[k])); return &rel }
		if r.asc {
			// Ascending: keep the rows strictly before the cursor in descending order.
			n := sort.Search(len(r.idx), func(k int) bool { return !less(at(k), c) })
			r.idx = r.idx[:n]
		} else {
			// Descending: drop the rows up to and including the cursor.
			n := sort.Search(len(r.idx), func(k int) bool { return less(c, at(k)) })
			r.idx = r.idx[n:]
		}
	}
}

// sortLess returns the descending order of a sort key (within one product for
// ByVersion).
func sortLess(k SortKey) func(a, b *releaselake.Release) bool {
	switch k {
	case ByVersion:
		return lessVersion
	case ByFirstSeen:
		return lessFirstSeen
	}
	return releaselake.Less
}

// uniqueSorted returns keys sorted and without duplicates: keys itself when it
// already is (as clients often send them), else a sorted copy.
func uniqueSorted(keys []string) []string {
	for i := 1; i < len(keys); i++ {
		if keys[i-1] >= keys[i] {
			out := slices.Clone(keys)
			slices.Sort(out)
			return slices.Compact(out)
		}
	}
	return keys
}
