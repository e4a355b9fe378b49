package releaselake

import (
	"cmp"
	"fmt"
	"iter"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// NewIndex builds the index of a snapshot. It does not keep snap.Releases: the
// index holds its own pointer-free copy of the rows (see Index), in the same order.
//
// A snapshot may hold a million rows, so the build never compares Releases
// with Less: each version is parsed once, while each product's rows are put in
// version order, and every other order is a sort of small fixed-size keys
// (times as seconds and nanoseconds, product and version ranks). Per-product
// orderings are windows of shared arrays rather than slices of their own.
func NewIndex(snap Snapshot) *Index {
	rels := snap.Releases
	n := len(rels)
	ix := &Index{Version: snap.Version, CommittedAt: snap.CommittedAt,
		pre: make([]int32, n+1), products: make(map[string]*productIndex)}

	// Products: an id per key, in key order; rows grouped by product.
	prod := make([]int32, n)
	byName := map[string]int32{}
	last := int32(-1)
	for i := range rels {
		if last >= 0 && rels[i].Product == ix.keys[last] {
			prod[i] = last // lake snapshots come grouped by product
			continue
		}
		id, ok := byName[rels[i].Product]
		if !ok {
			id = int32(len(ix.keys))
			byName[rels[i].Product] = id
			ix.keys = append(ix.keys, rels[i].Product)
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

	// The rows packed (on their own goroutines) while the orders are made;
	// what the orders need of each row gathered in one pass in row order,
	// as the rows are far bigger than it and the orders visit them out of order.
	var packed sync.WaitGroup
	packed.Go(func() { ix.rows, ix.arenas = packRows(rels, prod) })
	pub := make([]timeItem, n)
	seenAt := make([]timeItem, n)
	isPre := make([]bool, n)
	for i := range rels {
		r := &rels[i]
		pub[i] = newTimeItem(r.PublishedAt, int32(i))
		seenAt[i] = newTimeItem(r.FirstSeenAt, 0)
		isPre[i] = r.Prerelease
	}

	// Publication order, newest first: a radix sort of the instants, beside
	// the version sort, which breaks its ties.
	var pubSorted sync.WaitGroup
	pubSorted.Go(func() { pub = sortTimes(pub) })

	// Version order within each product, and each row's rank in it.
	byVersion := groupBy(prod, start, nil)
	vrank := make([]int32, n)
	versionSort(rels, byVersion, start, vrank)
	pubSorted.Wait()

	// Less order among rows published at the same instant: product key, then version order.
	for run := range equalTimes(pub) {
		slices.SortFunc(run, func(a, b timeItem) int {
			if c := cmp.Compare(prod[a.row], prod[b.row]); c != 0 {
				return c
			}
			return cmp.Compare(vrank[a.row], vrank[b.row])
		})
	}
	byPub := make([]int32, n)
	ix.pubRank = vrank // reused: vrank is not needed any more
	seen := pub        // reused, once read
	for k, it := range pub {
		row := it.row
		byPub[k] = row
		ix.pubRank[row] = int32(k)
		ix.pre[k+1] = ix.pre[k]
		if isPre[row] {
			ix.pre[k+1]++
		}
		seen[k] = seenAt[row]
		seen[k].row = int32(k)
	}
	seenAt = nil

	// First-seen order: newest first, then publication order, which the radix
	// sort keeps as it is stable and the items go in in publication order.
	seen = sortTimes(seen)
	fs := make([]int32, n)
	ix.fsRank = make([]int32, n)
	for pos, it := range seen {
		row := byPub[it.row]
		fs[pos] = row
		ix.fsRank[row] = int32(pos)
	}
	pub, seen = nil, nil

	ix.order[ByPublished] = byPub
	ix.order[ByFirstSeen] = fs
	ix.order[ByVersion] = byVersion // whole products in key order
	byPublished := groupBy(prod, start, byPub)
	byFirstSeen := groupBy(prod, start, fs)

	pre := make([]int32, n+len(ix.keys))
	for p, key := range ix.keys {
		lo, hi := start[p], start[p+1]
		pi := &productIndex{latest: -1}
		pi.order[ByPublished] = byPublished[lo:hi:hi]
		pi.order[ByFirstSeen] = byFirstSeen[lo:hi:hi]
		pi.order[ByVersion] = byVersion[lo:hi:hi]
		pi.pre = pre[int(lo)+p : int(hi)+p+1 : int(hi)+p+1]
		for j, i := range pi.order[ByPublished] {
			pi.pre[j+1] = pi.pre[j]
			if isPre[i] {
				pi.pre[j+1]++
			}
		}
		pi.latest = latestOf(rels, pi.order[ByVersion], ix.pubRank)
		ix.products[key] = pi
	}
	packed.Wait()
	return ix
}

// packRows makes the index's rows of rels (prod[i]: row i's product number)
// and the arenas of their text, split between GOMAXPROCS goroutines that each
// pack a part of the rows into an arena of their own. Text repeated from row
// to row (source, repository, date source) is kept once per part; a name
// equal to the tag, and a version the tag ends with, share the tag's bytes.
func packRows(rels []Release, prod []int32) ([]row, [][]byte) {
	n := len(rels)
	rows := make([]row, n)
	// Parts of at most 8Mi rows keep each arena well under the 4 GiB a text
	// can address, at any text size a release plausibly has (~100 bytes).
	parts := min(max(min(runtime.GOMAXPROCS(0), n/4096), (n+8<<20-1)>>23, 1), math.MaxUint8+1)
	arenas := make([][]byte, parts)
	var wg sync.WaitGroup
	for w := range parts {
		wg.Go(func() {
			lo, hi := w*n/parts, (w+1)*n/parts
			size := 0
			for i := lo; i < hi; i++ {
				size += len(rels[i].Tag) + len(rels[i].URL)
			}
			a := make([]byte, 0, size+size/4)
			put := func(s string) text {
				t := text{uint32(len(a)), uint32(len(s))}
				a = append(a, s...)
				return t
			}
			shared := map[string]text{}
			once := func(s string) text {
				t, ok := shared[s]
				if !ok {
					t = put(s)
					shared[s] = t
				}
				return t
			}
			var prev *row
			var prevRel *Release
			for i := lo; i < hi; i++ {
				rel, r := &rels[i], &rows[i]
				r.arena = uint8(w)
				r.tag = put(rel.Tag)
				switch {
				case rel.Version == rel.Tag:
					r.version = r.tag
				case strings.HasSuffix(rel.Tag, rel.Version):
					r.version = text{r.tag.off + r.tag.n - uint32(len(rel.Version)), uint32(len(rel.Version))}
				default:
					r.version = put(rel.Version)
				}
				switch rel.Name {
				case rel.Tag:
					r.name = r.tag
				case rel.Version:
					r.name = r.version
				default:
					r.name = put(rel.Name)
				}
				r.url = put(rel.URL)
				if prev != nil && rel.Source == prevRel.Source && rel.Repo == prevRel.Repo && rel.DateSource == prevRel.DateSource {
					r.source, r.repo, r.dateSource = prev.source, prev.repo, prev.dateSource
				} else {
					r.source, r.repo, r.dateSource = once(rel.Source), once(rel.Repo), once(rel.DateSource)
				}
				r.published, r.publishedNs = rel.PublishedAt.Unix(), int32(rel.PublishedAt.Nanosecond())
				r.firstSeen, r.firstSeenNs = rel.FirstSeenAt.Unix(), int32(rel.FirstSeenAt.Nanosecond())
				r.product, r.prerelease, r.yanked = prod[i], rel.Prerelease, rel.Yanked
				prev, prevRel = r, rel
			}
			if len(a) > math.MaxUint32 {
				panic(fmt.Sprintf("releaselake: %d rows of an index hold %d bytes of text; at most 4 GiB fit in a part", hi-lo, len(a)))
			}
			arenas[w] = a
		})
	}
	wg.Wait()
	return rows, arenas
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
					if a.key.ok && b.key.ok {
						if c := b.key.compare(&a.key); c != 0 {
							return c
						}
						if c := b.v.compareSuffix(a.v); c != 0 { // the release parts are equal
							return c
						}
					} else if c := b.v.Compare(a.v); c != 0 {
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
// one of over 19 digits. When every component is below 2^16 (most versions),
// packed holds them all in one number that orders alike.
type releaseKey struct {
	c      [4]uint64
	packed uint64
	ok     bool
	fits   bool // packed is set
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
	k.fits = true
	for _, c := range k.c {
		k.fits = k.fits && c < 1<<16
		k.packed = k.packed<<16 | c&0xffff
	}
	return k
}

// compare orders two keys (both ok) as compareRelease orders their versions.
func (k *releaseKey) compare(o *releaseKey) int {
	if k.fits && o.fits {
		return cmp.Compare(k.packed, o.packed)
	}
	for j := range k.c {
		if k.c[j] != o.c[j] {
			return cmp.Compare(k.c[j], o.c[j])
		}
	}
	return 0
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
// a product in version order, the first of them in Less order (the lowest
// publication rank) if several tags carry that version; -1 if none is stable.
func latestOf(rels []Release, byVersion, pubRank []int32) int32 {
	best := int32(-1)
	for _, i := range byVersion {
		r := &rels[i]
		if best >= 0 && r.Version != rels[best].Version {
			break
		}
		if !r.Prerelease && !r.Yanked && (best < 0 || pubRank[i] < pubRank[best]) {
			best = i
		}
	}
	return best
}
