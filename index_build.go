package releaselake

import (
	"cmp"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

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
