package releaselake

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Index is an immutable in-memory view of one snapshot, built once and then read
// by many requests at once. It keeps every release once, in Less order, and
// orderings of row numbers over them: by publication, by version and by first
// sighting, for all products and per product, so that a page of any order is a
// few binary searches and a merge of at most one run per product.
type Index struct {
	Version     int64
	CommittedAt time.Time

	rows     []Release                // every row, in Less order (row number = ByPublished rank)
	order    [numSortKeys][]int32     // all rows in each key's descending order
	fsRank   []int32                  // row -> position in order[ByFirstSeen]
	pre      []int32                  // pre[i]: prereleases among rows[:i]
	products map[string]*productIndex // by catalog key
	keys     []string                 // product keys present, ascending
}

// productIndex is one product's share of an Index.
type productIndex struct {
	order  [numSortKeys][]int32 // the product's rows in each key's descending order
	pre    []int32              // pre[i]: prereleases among order[ByPublished][:i]
	latest int32                // greatest stable version, -1 if none
}

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
// within this index, for callers that keep something per release.
func (ix *Index) Row(i int) *Release { return &ix.rows[i] }

// Latest returns the greatest stable (neither prerelease nor yanked) release of
// a product by version order.
func (ix *Index) Latest(product string) (Release, bool) {
	if r := ix.LatestRef(product); r != nil {
		return *r, true
	}
	return Release{}, false
}

// LatestRef is Latest without the copy: nil when the product has no stable
// release. The release belongs to the index: do not modify it.
func (ix *Index) LatestRef(product string) *Release {
	if pi := ix.products[product]; pi != nil && pi.latest >= 0 {
		return &ix.rows[pi.latest]
	}
	return nil
}

// Filter selects releases.
type Filter struct {
	Products   []string   // catalog keys; nil means all products
	Since      *time.Time // publishedAt >= Since
	Until      *time.Time // publishedAt < Until
	Prerelease *bool      // only prereleases (true) or only stable ones (false)
}

func (f *Filter) match(r *Release) bool {
	if f.Prerelease != nil && r.Prerelease != *f.Prerelease {
		return false
	}
	if f.Since != nil && r.PublishedAt.Before(*f.Since) {
		return false
	}
	return f.Until == nil || r.PublishedAt.Before(*f.Until)
}

// Releases returns every release that matches f, in Less order, as a new slice.
func (ix *Index) Releases(f Filter) []Release {
	p := ix.Page(Query{Filter: f, First: len(ix.rows)})
	out := make([]Release, len(p.Releases))
	for i, r := range p.Releases {
		out[i] = *r
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
	Releases []*Release // owned by the index: do not modify
	Rows     []int32    // the row number of each release in the index (see Index.Row)
	Total    int        // releases matching the filter, across all pages
	HasNext  bool       // more releases follow this page
}

// Page returns the releases matching q.Filter in q.Sort order, starting after
// q.After, at most q.First of them. Unknown product keys match nothing.
func (ix *Index) Page(q Query) Page {
	first := max(q.First, 0)
	if q.Products != nil {
		q.Products = uniqueSorted(q.Products) // once for count and runs
	}
	pg := Page{Total: ix.count(&q.Filter)}
	if pg.Total == 0 {
		return pg
	}
	runs := ix.runs(&q)
	if q.After != nil {
		ix.skipTo(runs, q.Sort, q.After)
	}
	pg.Releases = make([]*Release, 0, min(first, pg.Total))
	pg.Rows = make([]int32, 0, min(first, pg.Total))
	for {
		i, ok := ix.next(runs, q.Sort)
		if !ok {
			return pg
		}
		r := &ix.rows[i]
		if !q.Filter.match(r) {
			continue
		}
		if len(pg.Releases) == first {
			pg.HasNext = true
			return pg
		}
		pg.Releases = append(pg.Releases, r)
		pg.Rows = append(pg.Rows, i)
	}
}

// run is a window of one ordering, consumed from the front (descending) or the
// back (ascending).
type run struct {
	idx []int32
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

// runs returns the orderings a query merges: one per asked product (sorted,
// without duplicates), or the global one. ByPublished runs are cut to the since/until window up front; for
// the other keys the window is checked row by row.
func (ix *Index) runs(q *Query) []run {
	pick := func(pi *productIndex) []int32 { return pi.order[q.Sort.Key] }
	var out []run
	switch {
	case q.Sort.Key == ByVersion:
		keys := ix.keys
		if q.Filter.Products != nil {
			keys = q.Filter.Products
		}
		for _, k := range keys {
			if pi := ix.products[k]; pi != nil {
				out = append(out, run{pick(pi), q.Sort.Asc})
			}
		}
		return out
	case q.Filter.Products == nil:
		out = append(out, run{ix.order[q.Sort.Key], q.Sort.Asc})
	default:
		out = make([]run, 0, len(q.Filter.Products))
		for _, k := range q.Filter.Products {
			if pi := ix.products[k]; pi != nil {
				out = append(out, run{pick(pi), q.Sort.Asc})
			}
		}
	}
	if q.Sort.Key == ByPublished {
		for i := range out {
			lo, hi := ix.window(out[i].idx, &q.Filter)
			out[i].idx = out[i].idx[lo:hi]
		}
	}
	return out
}

// window returns the part [lo, hi) of a ByPublished ordering inside since/until.
func (ix *Index) window(idx []int32, f *Filter) (lo, hi int) {
	lo, hi = 0, len(idx)
	// Newest first: Until cuts the front, Since the back.
	if f.Until != nil {
		lo = sort.Search(len(idx), func(i int) bool { return ix.rows[idx[i]].PublishedAt.Before(*f.Until) })
	}
	if f.Since != nil {
		hi = sort.Search(len(idx), func(i int) bool { return ix.rows[idx[i]].PublishedAt.Before(*f.Since) })
	}
	return lo, max(lo, hi)
}

// count returns how many releases match f, from the ByPublished orderings and
// their prerelease counts, without visiting rows. f.Products is sorted and
// without duplicates.
func (ix *Index) count(f *Filter) int {
	one := func(idx, pre []int32) int {
		lo, hi := ix.window(idx, f)
		n := hi - lo
		if f.Prerelease != nil {
			p := int(pre[hi] - pre[lo])
			if *f.Prerelease {
				return p
			}
			return n - p
		}
		return n
	}
	if f.Products == nil {
		return one(ix.order[ByPublished], ix.pre)
	}
	total := 0
	for _, k := range f.Products {
		if pi := ix.products[k]; pi != nil {
			total += one(pi.order[ByPublished], pi.pre)
		}
	}
	return total
}

// skipTo drops from each run the rows that come before or at the cursor c.
func (ix *Index) skipTo(runs []run, s Sort, c *Release) {
	for i := range runs {
		r := &runs[i]
		if len(r.idx) == 0 {
			continue
		}
		if s.Key == ByVersion {
			// Products are ascending whatever the direction.
			switch p := ix.rows[r.idx[0]].Product; {
			case p < c.Product:
				r.idx = nil
				continue
			case p > c.Product:
				continue
			}
		}
		less := sortLess(s.Key)
		if r.asc {
			// Ascending: keep the rows strictly before the cursor in descending order.
			n := sort.Search(len(r.idx), func(k int) bool { return !less(&ix.rows[r.idx[k]], c) })
			r.idx = r.idx[:n]
		} else {
			// Descending: drop the rows up to and including the cursor.
			n := sort.Search(len(r.idx), func(k int) bool { return less(c, &ix.rows[r.idx[k]]) })
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

// next pops the next row of the merged runs in s order.
func (ix *Index) next(runs []run, s Sort) (int32, bool) {
	best := -1
	for i := range runs {
		if runs[i].empty() {
			continue
		}
		if best < 0 {
			best = i
			if s.Key == ByVersion {
				break // runs are whole products in key order: concatenate
			}
			continue
		}
		a, b := runs[i].head(), runs[best].head()
		var before bool
		if s.Key == ByFirstSeen {
			before = ix.fsRank[a] < ix.fsRank[b]
		} else {
			before = a < b // row numbers are the ByPublished order
		}
		if before != s.Asc {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	i := runs[best].head()
	runs[best].pop()
	return i, true
}

func uniqueSorted(keys []string) []string {
	out := slices.Clone(keys)
	slices.Sort(out)
	return slices.Compact(out)
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
