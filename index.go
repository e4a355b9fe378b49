package releaselake

import (
	"cmp"
	"iter"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
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

// NewIndex builds the index of a snapshot. It takes ownership of snap.Releases.
//
// A snapshot may hold a million rows, so the build never compares Releases
// with Less: each version is parsed once, while each product's rows are put in
// version order, and every other order is a sort of small fixed-size keys
// (times as seconds and nanoseconds, product and version ranks) followed by
// one copy of each row to its place. Per-product orderings are windows of
// shared arrays rather than slices of their own.
func NewIndex(snap Snapshot) *Index {
	rows := snap.Releases
	n := len(rows)
	ix := &Index{Version: snap.Version, CommittedAt: snap.CommittedAt, rows: rows,
		pre: make([]int32, n+1), products: make(map[string]*productIndex)}

	// Products: an id per key, in key order; rows grouped by product.
	prod := make([]int32, n)
	byName := map[string]int32{}
	last := int32(-1)
	for i := range rows {
		if last >= 0 && rows[i].Product == ix.keys[last] {
			prod[i] = last // lake snapshots come grouped by product
			continue
		}
		id, ok := byName[rows[i].Product]
		if !ok {
			id = int32(len(ix.keys))
			byName[rows[i].Product] = id
			ix.keys = append(ix.keys, rows[i].Product)
		}
		prod[i], last = id, id
	}
	rank := make([]int32, len(ix.keys))
	byKey := make([]int32, len(ix.keys))
	for id := range byKey {
		byKey[id] = int32(id)
	}
	slices.SortFunc(byKey, func(a, b int32) int { return strings.Compare(ix.keys[a], ix.keys[b]) })
	for r, id := range byKey {
		rank[id] = int32(r)
	}
	slices.Sort(ix.keys)
	for i := range prod {
		prod[i] = rank[prod[i]]
	}
	start := groupStarts(prod, len(ix.keys))

	// Version order within each product (rows by their current position),
	// and each row's rank in it.
	byVersion := groupBy(prod, start, nil)
	vrank := make([]int32, n)
	versionSort(rows, byVersion, start, vrank)

	// Less order: newest published first (a radix sort of the instants), then
	// product key and version order among rows published at the same instant.
	pub := make([]timeItem, n)
	for i := range rows {
		pub[i] = newTimeItem(rows[i].PublishedAt, int32(i))
	}
	pub = sortTimes(pub)
	for run := range equalTimes(pub) {
		slices.SortFunc(run, func(a, b timeItem) int {
			if c := cmp.Compare(prod[a.row], prod[b.row]); c != 0 {
				return c
			}
			return cmp.Compare(vrank[a.row], vrank[b.row])
		})
	}
	to := vrank // reused: to[old position] = row number
	for k := range pub {
		to[pub[k].row] = int32(k)
	}

	// Meanwhile: the rows copied to their places (a copy rather than a move in
	// place: sequential writes, split between goroutines), and the first-seen
	// order sorted: newest first, then the row order, which the radix sort
	// keeps as it is stable and the rows go in in row order.
	ix.rows = make([]Release, n)
	var wg sync.WaitGroup
	parts := runtime.GOMAXPROCS(0)
	for w := range parts {
		wg.Go(func() {
			for k := w * n / parts; k < (w+1)*n/parts; k++ {
				ix.rows[k] = rows[pub[k].row]
			}
		})
	}
	var seen []timeItem
	wg.Go(func() {
		seen = make([]timeItem, n)
		for k, it := range pub {
			seen[k] = newTimeItem(rows[it.row].FirstSeenAt, int32(k))
		}
		seen = sortTimes(seen)
	})
	newProd := make([]int32, n)
	for old, k := range to {
		newProd[k] = prod[old]
	}
	for i := range byVersion {
		byVersion[i] = to[byVersion[i]]
	}
	wg.Wait()
	rows, prod, pub, to = ix.rows, newProd, nil, nil

	// Publication order is the row order; per product it is each group in row order.
	ix.order[ByPublished] = make([]int32, n)
	for i := range rows {
		ix.order[ByPublished][i] = int32(i)
		ix.pre[i+1] = ix.pre[i]
		if rows[i].Prerelease {
			ix.pre[i+1]++
		}
	}
	byPublished := groupBy(prod, start, nil)

	fs := make([]int32, n)
	ix.fsRank = make([]int32, n)
	for pos, k := range seen {
		fs[pos] = k.row
		ix.fsRank[k.row] = int32(pos)
	}
	seen = nil
	ix.order[ByFirstSeen] = fs
	byFirstSeen := groupBy(prod, start, fs)

	// Version order: whole products in key order.
	ix.order[ByVersion] = byVersion

	pre := make([]int32, n+len(ix.keys))
	for p, key := range ix.keys {
		lo, hi := start[p], start[p+1]
		pi := &productIndex{latest: -1}
		pi.order[ByPublished] = byPublished[lo:hi:hi]
		pi.order[ByFirstSeen] = byFirstSeen[lo:hi:hi]
		pi.order[ByVersion] = byVersion[lo:hi:hi]
		pi.pre = pre[int(lo)+p : int(hi)+p+1 : int(hi)+p+1]
		for j, i := range pi.order[ByPublished] {
			pi.pre[j+1] = pi.pre[j] + ix.pre[i+1] - ix.pre[i] // row i's flag, without reading the row
		}
		pi.latest = latestOf(rows, pi.order[ByVersion])
		ix.products[key] = pi
	}
	return ix
}

// groupStarts returns where each group of a counting sort by group (0 <=
// group < groups) starts, and its end as the last element.
func groupStarts(group []int32, groups int) []int32 {
	start := make([]int32, groups+1)
	for _, g := range group {
		start[g+1]++
	}
	for g := range groups {
		start[g+1] += start[g]
	}
	return start
}

// groupBy lists the rows of seq (nil: every row in order) grouped by their
// group, keeping seq's order within each group: group g is out[start[g]:start[g+1]].
func groupBy(group, start, seq []int32) []int32 {
	out := make([]int32, len(group))
	next := slices.Clone(start[:len(start)-1])
	add := func(i int32) {
		g := group[i]
		out[next[g]] = i
		next[g]++
	}
	if seq == nil {
		for i := range group {
			add(int32(i))
		}
	} else {
		for _, i := range seq {
			add(i)
		}
	}
	return out
}

// versionSort sorts each product's group of byVersion (row positions) into
// ByVersion order, greatest version first, and sets vrank[row] to the row's
// place within its product. Versions are parsed once per row, and most
// comparisons are of their numeric parts as numbers (releaseKey); products
// are shared between GOMAXPROCS goroutines.
func versionSort(rows []Release, byVersion, start, vrank []int32) {
	products := len(start) - 1
	workers := min(runtime.GOMAXPROCS(0), max(products/64, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			type entry struct {
				key releaseKey
				v   Version
				row int32
			}
			var (
				es   []entry
				perm []int32
			)
			for p := w; p < products; p += workers {
				g := byVersion[start[p]:start[p+1]]
				es, perm = es[:0], perm[:0]
				for k, i := range g {
					v, _ := parse(rows[i].Version)
					es = append(es, entry{releaseKeyOf(v), v, i})
					perm = append(perm, int32(k))
				}
				slices.SortFunc(perm, func(x, y int32) int {
					a, b := &es[x], &es[y]
					if a.key.ok && b.key.ok && a.key.c != b.key.c {
						for j := range a.key.c {
							if a.key.c[j] != b.key.c[j] {
								return cmp.Compare(b.key.c[j], a.key.c[j])
							}
						}
					}
					if c := b.v.Compare(a.v); c != 0 {
						return c
					}
					if c := strings.Compare(rows[a.row].Tag, rows[b.row].Tag); c != 0 {
						return c
					}
					return cmp.Compare(a.row, b.row)
				})
				for k, x := range perm {
					g[k] = es[x].row
					vrank[es[x].row] = int32(k)
				}
			}
		})
	}
	wg.Wait()
}

// releaseKey is the numeric release part of a valid version as numbers
// (1.13.5 -> 1, 13, 5, 0), which orders as compareRelease does; ok is false
// when it cannot hold it: an invalid version, more than four components, or
// one of over 19 digits.
type releaseKey struct {
	c  [4]uint64
	ok bool
}

func releaseKeyOf(v Version) releaseKey {
	var k releaseKey
	if !v.valid {
		return k
	}
	s := v.s[:v.relEnd]
	for i := 0; s != ""; i++ {
		var comp string
		comp, s = cutComponent(s)
		comp = strings.TrimLeft(comp, "0")
		if i == len(k.c) || len(comp) > 19 {
			return releaseKey{}
		}
		for j := 0; j < len(comp); j++ {
			k.c[i] = k.c[i]*10 + uint64(comp[j]-'0')
		}
	}
	k.ok = true
	return k
}

// timeItem is a row with its instant as a key that orders newest first:
// seconds with the sign flipped and then inverted, inverted nanoseconds.
type timeItem struct {
	sec  uint64
	nsec uint32
	row  int32
}

func newTimeItem(t time.Time, row int32) timeItem {
	return timeItem{^(uint64(t.Unix()) ^ 1<<63), ^uint32(t.Nanosecond()), row}
}

// sortTimes sorts items newest first, keeping the order of items with equal
// instants: an LSD radix sort, a byte at a time, that skips the bytes every
// item has alike (most of them: a table's times span a few decades). It
// returns the sorted slice, items or a new one.
func sortTimes(items []timeItem) []timeItem {
	if len(items) < 2 {
		return items
	}
	tmp := make([]timeItem, len(items))
	digit := func(it *timeItem, pass int) int {
		if pass < 4 {
			return int(it.nsec>>(8*pass)) & 0xff
		}
		return int(it.sec>>(8*(pass-4))) & 0xff
	}
	for pass := range 12 {
		var at [256]int
		for i := range items {
			at[digit(&items[i], pass)]++
		}
		if at[digit(&items[0], pass)] == len(items) {
			continue
		}
		sum := 0
		for d, c := range at {
			at[d] = sum
			sum += c
		}
		for i := range items {
			d := digit(&items[i], pass)
			tmp[at[d]] = items[i]
			at[d]++
		}
		items, tmp = tmp, items
	}
	return items
}

// equalTimes yields the runs of two or more items of sorted with one instant.
func equalTimes(sorted []timeItem) iter.Seq[[]timeItem] {
	return func(yield func([]timeItem) bool) {
		for i := 0; i < len(sorted); {
			j := i + 1
			for j < len(sorted) && sorted[j].sec == sorted[i].sec && sorted[j].nsec == sorted[i].nsec {
				j++
			}
			if j-i > 1 && !yield(sorted[i:j]) {
				return
			}
			i = j
		}
	}
}

// latestOf returns the greatest stable (neither prerelease nor yanked) row of
// a product in version order, the first of them in Less order (the lowest row
// number) if several tags carry that version; -1 if none is stable.
func latestOf(rows []Release, byVersion []int32) int32 {
	best := int32(-1)
	for _, i := range byVersion {
		r := &rows[i]
		if best >= 0 && r.Version != rows[best].Version {
			break
		}
		if !r.Prerelease && !r.Yanked && (best < 0 || i < best) {
			best = i
		}
	}
	return best
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
