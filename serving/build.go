package serving

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/releaselake/releaselake"
)

// NewIndex builds the index of a snapshot. It does not keep snap.Releases: the
// index holds its own pointer-free copy of the rows (see Index), in the same
// order. It is an IndexBuilder fed the snapshot in blocks.
func NewIndex(snap releaselake.Snapshot) *Index {
	rels := snap.Releases
	b := NewIndexBuilder()
	b.Begin(snap.Version, snap.CommittedAt, len(rels))
	const block = 1 << 16
	var wg sync.WaitGroup
	var next atomic.Int64
	for range max(min(runtime.GOMAXPROCS(0), len(rels)/block), 1) {
		wg.Go(func() {
			var c releaselake.Columns
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
	return b.Build()
}

// Reader reads a committed version of the lake as blocks of columns (the
// lake's Store is one).
type Reader interface {
	// ReadColumns hands the newest committed version to sink (NoVersion
	// and no rows if there is none).
	ReadColumns(ctx context.Context, sink releaselake.ColumnSink) error
	// ReadColumnsAt hands committed version v to sink.
	ReadColumnsAt(ctx context.Context, v int64, sink releaselake.ColumnSink) error
}

// Load reads the newest committed version of r into an index.
func Load(ctx context.Context, r Reader) (*Index, error) {
	b := NewIndexBuilder()
	if err := r.ReadColumns(ctx, b); err != nil {
		return nil, err
	}
	return b.Build(), nil
}

// LoadAt reads committed version v of r into an index.
func LoadAt(ctx context.Context, r Reader, v int64) (*Index, error) {
	b := NewIndexBuilder()
	if err := r.ReadColumnsAt(ctx, v, b); err != nil {
		return nil, err
	}
	return b.Build(), nil
}

// IndexBuilder builds an Index from blocks of rows added in any order, from
// as many goroutines as there are blocks to add: a reader can hand over the
// rows of each row group as it decodes them, without making Releases. It is
// a releaselake.ColumnSink.
type IndexBuilder struct {
	version     int64
	committedAt time.Time
	rows        []row
	mu          sync.Mutex
	arenas      [][]byte         // one per block
	ids         map[string]int32 // product key -> number, in order of first sight
	keys        []string         // by number
	added       atomic.Int64     // rows added
}

var _ releaselake.ColumnSink = (*IndexBuilder)(nil)

// NewIndexBuilder returns a builder waiting for Begin.
func NewIndexBuilder() *IndexBuilder {
	return &IndexBuilder{version: releaselake.NoVersion, ids: map[string]int32{}}
}

// Begin starts an index of rows rows of the given version.
func (b *IndexBuilder) Begin(version int64, committedAt time.Time, rows int) error {
	if rows < 0 {
		return releaselake.Errorf(releaselake.Internal, "index: %d rows", rows)
	}
	b.version, b.committedAt, b.rows = version, committedAt, make([]row, rows)
	return nil
}

// Add packs the rows of c as rows lo, lo+1, … of the index: its text copied
// into an arena of the block's own, text repeated from row to row (source,
// repository, date source) kept once, a name equal to the tag and a version
// the tag ends with sharing the tag's bytes. Blocks must not overlap; c can be
// reused once Add returns. An error means the block cannot be indexed (more
// than 4 GiB of text, or more than 65,536 blocks); the builder is then unusable.
func (b *IndexBuilder) Add(lo int, c *releaselake.Columns) error {
	n := c.Len()
	if lo < 0 || lo+n > len(b.rows) {
		return releaselake.Errorf(releaselake.Internal, "index: rows %d..%d of a %d-row index", lo, lo+n, len(b.rows))
	}
	b.mu.Lock()
	id := len(b.arenas)
	b.arenas = append(b.arenas, nil)
	b.mu.Unlock()
	if id > math.MaxUint16 {
		return releaselake.Errorf(releaselake.Internal, "index: more than %d blocks", math.MaxUint16+1)
	}
	size := 0
	for i := range n {
		size += len(c.Str[releaselake.ColTag][i])
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
	products, source, repo, dateSource := c.Str[releaselake.ColProduct], c.Str[releaselake.ColSource], c.Str[releaselake.ColRepo], c.Str[releaselake.ColDateSource]
	product, productID := "", int32(-1)
	for i := range n {
		r := &b.rows[lo+i]
		r.arena = uint16(id)
		tag, version, name := c.Str[releaselake.ColTag][i], c.Str[releaselake.ColVersion][i], c.Str[releaselake.ColName][i]
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
			v := c.Str[col][i]
			if col == releaselake.ColURL && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
				v, _ = releaselake.SafeURL(v) // rows stored before the ingest checked URLs
			}
			r.plain[k] = put(v)
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
		p, f := c.Time[releaselake.ColPublishedAt][i], c.Time[releaselake.ColFirstSeenAt][i]
		r.published, r.publishedNs = p.Unix(), int32(p.Nanosecond())
		r.firstSeen, r.firstSeenNs = f.Unix(), int32(f.Nanosecond())
		r.prerelease, r.yanked = c.Bool[releaselake.ColPrerelease][i], c.Bool[releaselake.ColYanked][i]
	}
	if len(a) > math.MaxUint32 {
		return releaselake.Errorf(releaselake.Internal, "index: %d rows hold %d bytes of text; a block holds at most 4 GiB", n, len(a))
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
func (b *IndexBuilder) Build() *Index {
	rows := b.rows
	n := len(rows)
	if got := b.added.Load(); got != int64(n) {
		panic(fmt.Sprintf("serving: IndexBuilder.Build after %d of %d rows", got, n))
	}
	ix := &Index{Version: b.version, CommittedAt: b.committedAt, rows: rows, arenas: b.arenas,
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

	// Version order within each product, and each row's rank in it. The rows
	// of each product in row order are kept for the tag order: a table read
	// from the lake comes in (product, tag) order, so they are in it already.
	byVersion := groupBy(prod, start, nil)
	byTag := slices.Clone(byVersion) // each product's share sorted by tag below: 4 bytes a row
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
	pis := make([]productIndex, len(ix.keys))
	inProducts(len(ix.keys), func(p int) {
		lo, hi := start[p], start[p+1]
		pi := &pis[p]
		pi.latest = -1
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
		pi.byTag = byTag[lo:hi:hi]
		byTagName := func(a, b int32) int { return strings.Compare(ix.tag(a), ix.tag(b)) }
		if !slices.IsSortedFunc(pi.byTag, byTagName) {
			slices.SortFunc(pi.byTag, byTagName)
		}
	})
	for p, key := range ix.keys {
		ix.products[key] = &pis[p]
	}
	return ix
}

// inProducts runs f for each of n products, on up to GOMAXPROCS goroutines
// taking products in turn.
func inProducts(n int, f func(p int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(n/64, 1)) {
		wg.Go(func() {
			for p := int(next.Add(1) - 1); p < n; p = int(next.Add(1) - 1) {
				f(p)
			}
		})
	}
	wg.Wait()
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
