package releaselake

import (
	"slices"
	"sort"
	"strings"
	"time"
	"unsafe"
)

// Index is an immutable in-memory view of one snapshot, built once and then read
// by many requests at once. It keeps every release once, in the snapshot's row
// order, and orderings of row numbers over them: by publication, by version and
// by first sighting, for all products and per product, so that a page of any
// order is a few binary searches and a merge of at most one run per product.
//
// Nothing the index keeps per row holds a pointer: a row is offsets into one
// few byte arenas of text plus instants as integers (see row). At a million rows
// that is what keeps the garbage collector's work, and so the latency tail of
// every request, independent of the lake's size: a collection never scans the
// rows. A Release is made from a row when it is asked for, its strings pointing
// into an arena (which they keep alive, so an index swapped out stays valid
// for whoever still holds its releases).
type Index struct {
	Version     int64
	CommittedAt time.Time

	rows     []row                    // every row, in the snapshot's order (the row number)
	arenas   [][]byte                 // the text of the rows (row.arena), never modified once built
	order    [numSortKeys][]int32     // all rows in each key's descending order
	pubRank  []int32                  // row -> position in order[ByPublished]
	fsRank   []int32                  // row -> position in order[ByFirstSeen]
	pre      []int32                  // pre[k]: prereleases among order[ByPublished][:k]
	products map[string]*productIndex // by catalog key
	keys     []string                 // product keys present, ascending (row.product indexes it)
}

// productIndex is one product's share of an Index.
type productIndex struct {
	order  [numSortKeys][]int32 // the product's rows in each key's descending order
	pre    []int32              // pre[i]: prereleases among order[ByPublished][:i]
	latest int32                // greatest stable version, -1 if none
}

// row is a Release as the index keeps it, without pointers: text as offsets
// into one of Index.arenas, instants as seconds and nanoseconds (UTC), the
// product as its number in Index.keys.
type row struct {
	tag, version, name, source, repo, dateSource text
	plain                                        [numPlain]text // the columns of plainCols
	published, firstSeen                         int64          // Unix seconds
	publishedNs, firstSeenNs                     int32
	product                                      int32
	prerelease, yanked                           bool
	arena                                        uint16 // Index.arenas[arena] holds the row's text
}

// plainCols are the string columns a row keeps as they come, each in its
// own text: all but the seven IndexBuilder.Add packs by hand (product,
// tag, version, name, source, repo, date source). A column added to the
// table lands here with no change to the index.
var plainCols = func() (out [numPlain]StrCol) {
	k := 0
	for c := range StrCol(NumStr) {
		switch c {
		case ColProduct, ColTag, ColVersion, ColName, ColSource, ColRepo, ColDateSource:
		default:
			out[k] = c
			k++
		}
	}
	if k != numPlain {
		panic("releaselake: numPlain is not the number of plain string columns")
	}
	return out
}()

const numPlain = NumStr - 7

// text is the row's arena[off : off+n].
type text struct{ off, n uint32 }

// instant is a time as the index compares it.
type instant struct {
	sec int64
	ns  int32
}

func instantOf(t time.Time) instant { return instant{t.Unix(), int32(t.Nanosecond())} }

func (a instant) before(b instant) bool { return a.sec < b.sec || a.sec == b.sec && a.ns < b.ns }

func (r *row) publishedAt() instant { return instant{r.published, r.publishedNs} }

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

// Less is the order releases are listed in: newest published first, then by
// product key, then greatest version first, then by tag.
func Less(a, b *Release) bool {
	if !a.PublishedAt.Equal(b.PublishedAt) {
		return a.PublishedAt.After(b.PublishedAt)
	}
	if a.Product != b.Product {
		return a.Product < b.Product
	}
	if c := CompareVersions(a.Version, b.Version); c != 0 {
		return c > 0
	}
	return a.Tag < b.Tag
}

// lessVersion is ByVersion's descending order within one product: greatest
// version first, then by tag.
func lessVersion(a, b *Release) bool {
	if c := CompareVersions(a.Version, b.Version); c != 0 {
		return c > 0
	}
	return a.Tag < b.Tag
}

// lessFirstSeen is ByFirstSeen's descending order.
func lessFirstSeen(a, b *Release) bool {
	if !a.FirstSeenAt.Equal(b.FirstSeenAt) {
		return a.FirstSeenAt.After(b.FirstSeenAt)
	}
	return Less(a, b)
}

// Rows returns the number of releases in the index.
func (ix *Index) Rows() int { return len(ix.rows) }

// Row returns release number i, 0 <= i < Rows(): a stable name of a release
// within this index, for callers that keep something per release. Its strings
// point into the index's arenas: they cost no copy, and stay valid after the
// index is dropped. Its times are UTC.
func (ix *Index) Row(i int) Release {
	r := &ix.rows[i]
	a := ix.arenas[r.arena]
	rel := Release{
		Product:     ix.keys[r.product],
		Tag:         textOf(a, r.tag),
		Version:     textOf(a, r.version),
		Name:        textOf(a, r.name),
		Source:      textOf(a, r.source),
		Repo:        textOf(a, r.repo),
		DateSource:  textOf(a, r.dateSource),
		PublishedAt: time.Unix(r.published, int64(r.publishedNs)).UTC(),
		FirstSeenAt: time.Unix(r.firstSeen, int64(r.firstSeenNs)).UTC(),
		Prerelease:  r.prerelease,
		Yanked:      r.yanked,
	}
	for k, c := range plainCols {
		*rel.Str(c) = textOf(a, r.plain[k])
	}
	return rel
}

func (ix *Index) version(i int32) string {
	r := &ix.rows[i]
	return textOf(ix.arenas[r.arena], r.version)
}

func (ix *Index) tag(i int32) string {
	r := &ix.rows[i]
	return textOf(ix.arenas[r.arena], r.tag)
}

// textOf returns t as a string of arena's bytes.
func textOf(arena []byte, t text) string {
	if t.n == 0 {
		return ""
	}
	return unsafe.String(&arena[t.off], int(t.n))
}

// Latest returns the greatest stable (neither prerelease nor yanked) release of
// a product by version order.
func (ix *Index) Latest(product string) (Release, bool) {
	if pi := ix.products[product]; pi != nil && pi.latest >= 0 {
		return ix.Row(int(pi.latest)), true
	}
	return Release{}, false
}

// Filter selects releases.
type Filter struct {
	Products   []string   // catalog keys; nil means all products
	Since      *time.Time // publishedAt >= Since
	Until      *time.Time // publishedAt < Until
	Prerelease *bool      // only prereleases (true) or only stable ones (false)
}

// span is a Filter's since/until as instants; has* is false for a bound not given.
type span struct {
	since, until       instant
	hasSince, hasUntil bool
}

func (f *Filter) span() span {
	var w span
	if f.Since != nil {
		w.since, w.hasSince = instantOf(*f.Since), true
	}
	if f.Until != nil {
		w.until, w.hasUntil = instantOf(*f.Until), true
	}
	return w
}

func (f *Filter) match(w *span, r *row) bool {
	if f.Prerelease != nil && r.prerelease != *f.Prerelease {
		return false
	}
	at := r.publishedAt()
	if w.hasSince && at.before(w.since) {
		return false
	}
	return !w.hasUntil || at.before(w.until)
}

// Releases returns every release that matches f, in Less order, as a new slice.
func (ix *Index) Releases(f Filter) []Release {
	p := ix.Page(Query{Filter: f, First: len(ix.rows)})
	out := make([]Release, len(p.Rows))
	for i, r := range p.Rows {
		out[i] = ix.Row(int(r))
	}
	return out
}

// Query asks for one page of releases.
type Query struct {
	Filter
	Sort Sort
	// After, if not nil, holds the sort fields of the release the page starts
	// after (Product, Tag, Version, PublishedAt, FirstSeenAt): keyset paging, so
	// pages stay stable when rows are added or removed between requests.
	After *Release
	First int // page size; at most First releases are returned
}

// Page is one page of a listing.
type Page struct {
	Rows    []int32 // the row number of each release of the page (see Index.Row)
	Total   int     // releases matching the filter, across all pages
	HasNext bool    // more releases follow this page
}

// Page returns the releases matching q.Filter in q.Sort order, starting after
// q.After, at most q.First of them. Unknown product keys match nothing.
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
		pg.HasNext = true
		return pg
	}
	if q.After != nil {
		ix.skipTo(runs, q.Sort, q.After)
	}
	m := ix.merge(runs, q.Sort)
	pg.Rows = make([]int32, 0, min(first, pg.Total))
	for {
		i, ok := m.next()
		if !ok {
			return pg
		}
		if !q.Filter.match(&w, &ix.rows[i]) {
			continue
		}
		if len(pg.Rows) == first {
			pg.HasNext = true
			return pg
		}
		pg.Rows = append(pg.Rows, i)
	}
}

// run is a window of one ordering, consumed from the front (descending) or the
// back (ascending).
type run struct {
	idx []int32
	top int32 // the head's rank in the merged order (see merger)
	asc bool
}

func (r *run) empty() bool { return len(r.idx) == 0 }

func (r *run) head() int32 {
	if r.asc {
		return r.idx[len(r.idx)-1]
	}
	return r.idx[0]
}

func (r *run) pop() {
	if r.asc {
		r.idx = r.idx[:len(r.idx)-1]
	} else {
		r.idx = r.idx[1:]
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
	add := func(order *[numSortKeys][]int32, pre []int32) {
		lo, hi := ix.window(order[ByPublished], w)
		total += q.Filter.count(pre, lo, hi)
		idx := order[q.Sort.Key]
		if q.Sort.Key == ByPublished {
			idx = idx[lo:hi]
		}
		out = append(out, run{idx: idx, asc: q.Sort.Asc})
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
		total = q.Filter.count(ix.pre, lo, hi)
		for _, k := range ix.keys {
			out = append(out, run{idx: ix.products[k].order[ByVersion], asc: q.Sort.Asc})
		}
	}
	return out, total
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

// skipTo drops from each run the rows that come before or at the cursor c.
func (ix *Index) skipTo(runs []run, s Sort, c *Release) {
	less := sortLess(s.Key)
	for i := range runs {
		r := &runs[i]
		if len(r.idx) == 0 {
			continue
		}
		if s.Key == ByVersion {
			// Products are ascending whatever the direction.
			switch p := ix.keys[ix.rows[r.idx[0]].product]; {
			case p < c.Product:
				r.idx = nil
				continue
			case p > c.Product:
				continue
			}
		}
		at := func(k int) *Release { rel := ix.Row(int(r.idx[k])); return &rel }
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
func sortLess(k SortKey) func(a, b *Release) bool {
	switch k {
	case ByVersion:
		return lessVersion
	case ByFirstSeen:
		return lessFirstSeen
	}
	return Less
}

// merger takes the rows of runs in a sort's order. Rows of ByPublished and
// ByFirstSeen runs are merged by their rank, their position in the global
// ordering (distinct products' rows have distinct ranks): each run keeps its
// head's, so choosing a run compares ints side by side, and a rank is looked
// up once per row taken. ByVersion runs (rank nil) are whole products in key
// order, taken one after the other.
type merger struct {
	runs []run // none empty
	rank []int32
}

func (ix *Index) merge(runs []run, s Sort) merger {
	m := merger{runs: slices.DeleteFunc(runs, func(r run) bool { return r.empty() })}
	switch {
	case len(m.runs) < 2, s.Key == ByVersion:
	case s.Key == ByFirstSeen:
		m.rank = ix.fsRank
	default:
		m.rank = ix.pubRank
	}
	for i := range m.runs {
		if m.rank != nil {
			m.runs[i].top = m.rank[m.runs[i].head()]
		}
	}
	return m
}

// next pops the next row: the head of least rank (greatest when ascending),
// or the first run's without ranks.
func (m *merger) next() (int32, bool) {
	if len(m.runs) == 0 {
		return 0, false
	}
	best := 0
	if m.rank != nil {
		for i := 1; i < len(m.runs); i++ {
			if (m.runs[i].top < m.runs[best].top) != m.runs[i].asc {
				best = i
			}
		}
	}
	r := &m.runs[best]
	i := r.head()
	r.pop()
	switch {
	case !r.empty():
		if m.rank != nil {
			r.top = m.rank[r.head()]
		}
	case m.rank == nil:
		m.runs = m.runs[1:] // keeps the products' order
	default:
		last := len(m.runs) - 1
		m.runs[best] = m.runs[last] // the order of runs merged by rank does not matter
		m.runs = m.runs[:last]
	}
	return i, true
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

// SearchProducts returns the products that match a search, best first. Every
// word of query must occur, ignoring case, in the product's key, name or
// repository. Products whose key or name equals the query come first, then
// those whose key or name starts with it, then the rest; ties keep the order
// of ps. An empty query matches every product.
func SearchProducts(ps []Product, query string) []Product {
	q := strings.ToLower(strings.TrimSpace(query))
	words := strings.Fields(q)
	if len(words) == 0 {
		return ps
	}
	type hit struct {
		p    Product
		rank int
	}
	var hits []hit
	for _, p := range ps {
		key, name, repo := strings.ToLower(p.Key), strings.ToLower(p.Name), strings.ToLower(p.Repo())
		ok := true
		for _, w := range words {
			if !strings.Contains(key, w) && !strings.Contains(name, w) && !strings.Contains(repo, w) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		rank := 2
		switch {
		case key == q || name == q:
			rank = 0
		case strings.HasPrefix(key, q) || strings.HasPrefix(name, q):
			rank = 1
		}
		hits = append(hits, hit{p, rank})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].rank < hits[j].rank })
	out := make([]Product, len(hits))
	for i, h := range hits {
		out[i] = h.p
	}
	return out
}
