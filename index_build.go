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
	"sync/atomic"
	"time"
)

// NewIndex builds the index of a snapshot. It does not keep snap.Releases: the
// index holds its own pointer-free copy of the rows (see Index), in the same
// order. It is an IndexBuilder fed the snapshot in blocks.
func NewIndex(snap Snapshot) *Index {
	rels := snap.Releases
	b := NewIndexBuilder(len(rels))
	const block = 1 << 16
	var wg sync.WaitGroup
	var next atomic.Int64
	for range max(min(runtime.GOMAXPROCS(0), len(rels)/block), 1) {
		wg.Go(func() {
			var c Columns
			for {
				lo := int(next.Add(block) - block)
				if lo >= len(rels) {
					return
				}
				c.Fill(rels[lo:min(lo+block, len(rels))])
				if err := b.Add(lo, &c); err != nil {
					panic(err) // only text over 4 GiB in one block, which releases cannot have
				}
			}
		})
	}
	wg.Wait()
	return b.Build(snap.Version, snap.CommittedAt)
}

// IndexBuilder builds an Index from blocks of rows added in any order, from
// as many goroutines as there are blocks to add: a reader can hand over the
// rows of each row group as it decodes them, without making Releases.
type IndexBuilder struct {
	rows   []row
	mu     sync.Mutex
	arenas [][]byte         // one per block
	ids    map[string]int32 // product key -> number, in order of first sight
	keys   []string         // by number
	added  atomic.Int64     // rows added
}

// NewIndexBuilder starts an index of n rows.
func NewIndexBuilder(n int) *IndexBuilder {
	return &IndexBuilder{rows: make([]row, n), ids: map[string]int32{}}
}

// Add packs the rows of c as rows lo, lo+1, … of the index: its text copied
// into an arena of the block's own, text repeated from row to row (source,
// repository, date source) kept once, a name equal to the tag and a version
// the tag ends with sharing the tag's bytes. Blocks must not overlap; c can be
// reused once Add returns. An error means the block cannot be indexed (more
// than 4 GiB of text, or more than 65,536 blocks); the builder is then unusable.
func (b *IndexBuilder) Add(lo int, c *Columns) error {
	n := c.Len()
	if lo < 0 || lo+n > len(b.rows) {
		return Errorf(Internal, "index: rows %d..%d of a %d-row index", lo, lo+n, len(b.rows))
	}
	b.mu.Lock()
	id := len(b.arenas)
	b.arenas = append(b.arenas, nil)
	b.mu.Unlock()
	if id > math.MaxUint16 {
		return Errorf(Internal, "index: more than %d blocks", math.MaxUint16+1)
	}
	size := 0
	for i := range n {
		size += len(c.Str[ColTag][i])
		for _, col := range plainCols {
			size += len(c.Str[col][i])
		}
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
	products, source, repo, dateSource := c.Str[ColProduct], c.Str[ColSource], c.Str[ColRepo], c.Str[ColDateSource]
	product, productID := "", int32(-1)
	for i := range n {
		r := &b.rows[lo+i]
		r.arena = uint16(id)
		tag, version, name := c.Str[ColTag][i], c.Str[ColVersion][i], c.Str[ColName][i]
		r.tag = put(tag)
		switch {
		case version == tag:
			r.version = r.tag
		case strings.HasSuffix(tag, version):
			r.version = text{r.tag.off + r.tag.n - uint32(len(version)), uint32(len(version))}
		default:
			r.version = put(version)
		}
		switch name {
		case tag:
			r.name = r.tag
		case version:
			r.name = r.version
		default:
			r.name = put(name)
		}
		for k, col := range plainCols {
			r.plain[k] = put(c.Str[col][i])
		}
		if i > 0 && source[i] == source[i-1] && repo[i] == repo[i-1] && dateSource[i] == dateSource[i-1] {
			prev := &b.rows[lo+i-1]
			r.source, r.repo, r.dateSource = prev.source, prev.repo, prev.dateSource
		} else {
			r.source, r.repo, r.dateSource = once(source[i]), once(repo[i]), once(dateSource[i])
		}
		if productID < 0 || products[i] != product {
			product, productID = products[i], b.productID(products[i]) // blocks come grouped by product
		}
		r.product = productID
		p, f := c.Time[ColPublishedAt][i], c.Time[ColFirstSeenAt][i]
		r.published, r.publishedNs = p.Unix(), int32(p.Nanosecond())
		r.firstSeen, r.firstSeenNs = f.Unix(), int32(f.Nanosecond())
		r.prerelease, r.yanked = c.Bool[ColPrerelease][i], c.Bool[ColYanked][i]
	}
	if len(a) > math.MaxUint32 {
		return Errorf(Internal, "index: %d rows hold %d bytes of text; a block holds at most 4 GiB", n, len(a))
	}
	b.mu.Lock()
	b.arenas[id] = a
	b.mu.Unlock()
	b.added.Add(int64(n))
	return nil
}

// productID returns the number of a product key, giving it the next one if new.
func (b *IndexBuilder) productID(key string) int32 {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.ids[key]
	if !ok {
		// key may point into a reader's buffer, reused once Add returns: the
		// map must keep a copy too, or a later block's bytes change its key.
		key = strings.Clone(key)
		id = int32(len(b.keys))
		b.ids[key] = id
		b.keys = append(b.keys, key)
	}
	return id
}

// Build makes the index of the rows added: all of them, once Add has returned
// for every block. The builder must not be used after.
//
// A snapshot may hold a million rows, so the build never compares Releases
// with Less: each version is parsed once, while each product's rows are put in
// version order, and every other order is a sort of small fixed-size keys
// (times as seconds and nanoseconds, product and version ranks). Per-product
// orderings are windows of shared arrays rather than slices of their own.
func (b *IndexBuilder) Build(version int64, committedAt time.Time) *Index {
	rows := b.rows
	n := len(rows)
	if got := b.added.Load(); got != int64(n) {
		panic(fmt.Sprintf("releaselake: IndexBuilder.Build after %d of %d rows", got, n))
	}
	ix := &Index{Version: version, CommittedAt: committedAt, rows: rows, arenas: b.arenas,
		keys: b.keys, pre: make([]int32, n+1), products: make(map[string]*productIndex, len(b.keys))}

	// Products numbered in key order; rows grouped by product. What the orders
	// need of each row gathered in the same pass in row order, as the rows are
	// far bigger than it and the orders visit them out of order.
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
	prod := make([]int32, n)
	pub := make([]timeItem, n)
	seenAt := make([]timeItem, n)
	isPre := make([]bool, n)
	for i := range rows {
		r := &rows[i]
		r.product = rank[r.product]
		prod[i] = r.product
		pub[i] = timeItem{timeKey(r.published), ^uint32(r.publishedNs), int32(i)}
		seenAt[i] = timeItem{timeKey(r.firstSeen), ^uint32(r.firstSeenNs), 0}
		isPre[i] = r.prerelease
	}
	start := groupStarts(prod, len(ix.keys))

	// Publication order, newest first: a radix sort of the instants, beside
	// the version sort, which breaks its ties.
	var pubSorted sync.WaitGroup
	pubSorted.Go(func() { pub = sortTimes(pub) })

	// Version order within each product, and each row's rank in it.
	byVersion := groupBy(prod, start, nil)
	vrank := make([]int32, n)
	versionSort(ix, byVersion, start, vrank)
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
		pi.latest = ix.latestOf(pi.order[ByVersion])
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
func versionSort(ix *Index, byVersion, start, vrank []int32) {
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
				es    []entry
				perm  []int32
				short []uint64
			)
			// cmpEntries is the order itself: greatest version first, then by tag.
			cmpEntries := func(x, y int32) int {
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
				if c := strings.Compare(ix.tag(a.row), ix.tag(b.row)); c != 0 {
					return c
				}
				return cmp.Compare(a.row, b.row)
			}
			for p := w; p < products; p += workers {
				g := byVersion[start[p]:start[p+1]]
				es, perm, short = es[:0], perm[:0], short[:0]
				for k, i := range g {
					v, _ := parse(ix.version(i))
					es = append(es, entry{releaseKeyOf(v), v, i})
					perm = append(perm, int32(k))
					if short != nil || k == 0 {
						if key, ok := es[k].key.short(); ok && len(g) <= 1<<16 {
							short = append(short, key<<16|uint64(k))
						} else {
							short = nil
						}
					}
				}
				if len(short) == len(g) {
					// Every version's release numbers fit in 48 bits: sort them
					// as plain integers with the entry's place in the low 16
					// bits, then order the runs of equal release numbers.
					slices.Sort(short)
					for k, x := range short {
						perm[k] = int32(x & 0xffff)
					}
					for lo := 0; lo < len(short); {
						hi := lo + 1
						for hi < len(short) && short[hi]>>16 == short[lo]>>16 {
							hi++
						}
						if hi-lo > 1 {
							slices.SortFunc(perm[lo:hi], cmpEntries)
						}
						lo = hi
					}
				} else {
					slices.SortFunc(perm, cmpEntries)
				}
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

// short returns the key in 48 bits that order greatest first as integers
// (12, 12, 16 and 8 bits for the four numbers), false if it is not ok or a
// number does not fit.
func (k *releaseKey) short() (uint64, bool) {
	if !k.ok || k.c[0] >= 1<<12 || k.c[1] >= 1<<12 || k.c[2] >= 1<<16 || k.c[3] >= 1<<8 {
		return 0, false
	}
	return 1<<48 - 1 - (k.c[0]<<36 | k.c[1]<<24 | k.c[2]<<8 | k.c[3]), true
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
	return timeItem{timeKey(t.Unix()), ^uint32(t.Nanosecond()), row}
}

// timeKey is Unix seconds as a key that orders newest first: the sign
// flipped, then inverted.
func timeKey(sec int64) uint64 { return ^(uint64(sec) ^ 1<<63) }

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
func (ix *Index) latestOf(byVersion []int32) int32 {
	best := int32(-1)
	for _, i := range byVersion {
		r := &ix.rows[i]
		if best >= 0 && ix.version(i) != ix.version(best) {
			break
		}
		if !r.prerelease && !r.yanked && (best < 0 || ix.pubRank[i] < ix.pubRank[best]) {
			best = i
		}
	}
	return best
}
