package serving

import (
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/releaselake/releaselake"
)

// Index is an immutable in-memory view of one snapshot, built once and read
// by many requests at once: every release once, in the snapshot's row order,
// and orderings of row numbers by publication, version and first sighting,
// for all products and per product, so that a page of any order is a few
// binary searches and a merge. A row holds no pointer (its text is offsets
// into a few byte arenas), so a collection never scans the rows
// (docs/scale.md); a Release made from a row points into an arena and keeps
// it alive.
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

	adv atomic.Pointer[Advisories] // served with this version: advisories.go
}

// productIndex is one product's share of an Index.
type productIndex struct {
	order  [numSortKeys][]int32 // the product's rows in each key's descending order
	pre    []int32              // pre[i]: prereleases among order[ByPublished][:i]
	latest int32                // greatest stable version, -1 if none
	byTag  []int32              // the product's rows by tag, ascending (a tag is unique in a product)
	lines  lineMemo             // release lines, once asked for (lines.go)
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
var plainCols = func() (out [numPlain]releaselake.StrCol) {
	k := 0
	for c := range releaselake.StrCol(releaselake.NumStr) {
		switch c {
		case releaselake.ColProduct, releaselake.ColTag, releaselake.ColVersion, releaselake.ColName,
			releaselake.ColSource, releaselake.ColRepo, releaselake.ColDateSource:
		default:
			out[k] = c
			k++
		}
	}
	if k != numPlain {
		panic("serving: numPlain is not the number of plain string columns")
	}
	return out
}()

const numPlain = releaselake.NumStr - 7

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

func (r *row) firstSeenAt() instant { return instant{r.firstSeen, r.firstSeenNs} }

// Rows returns the number of releases in the index.
func (ix *Index) Rows() int { return len(ix.rows) }

// Row returns release number i, 0 <= i < Rows(): a stable name of a release
// within this index, for callers that keep something per release. Its strings
// point into the index's arenas: they cost no copy, and stay valid after the
// index is dropped. Its times are UTC.
func (ix *Index) Row(i int) releaselake.Release {
	r := &ix.rows[i]
	a := ix.arenas[r.arena]
	rel := releaselake.Release{
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
func (ix *Index) Latest(product string) (releaselake.Release, bool) {
	if pi := ix.products[product]; pi != nil && pi.latest >= 0 {
		return ix.Row(int(pi.latest)), true
	}
	return releaselake.Release{}, false
}

// Release returns the release of product with this tag: the lake's key of a
// release. A binary search of the product's rows by tag: node and nodes may
// look up thousands of ids a request.
func (ix *Index) Release(product, tag string) (releaselake.Release, bool) {
	if pi := ix.products[product]; pi != nil {
		if i, ok := ix.byTag(pi, tag); ok {
			return ix.Row(int(i)), true
		}
	}
	return releaselake.Release{}, false
}

// byTag returns the row of pi with this tag.
func (ix *Index) byTag(pi *productIndex, tag string) (int32, bool) {
	k, ok := slices.BinarySearchFunc(pi.byTag, tag, func(i int32, tag string) int { return strings.Compare(ix.tag(i), tag) })
	if !ok {
		return 0, false
	}
	return pi.byTag[k], true
}

// ReleaseOfVersion returns the release of product with this version; of
// two tags with one version (v1.0 and 1.0), the first by tag. A binary
// search of the product's version order, then the versions equal to it.
func (ix *Index) ReleaseOfVersion(product, version string) (releaselake.Release, bool) {
	pi := ix.products[product]
	if pi == nil {
		return releaselake.Release{}, false
	}
	idx := pi.order[ByVersion] // greatest version first, then by tag
	k := sort.Search(len(idx), func(k int) bool { return releaselake.CompareVersions(ix.version(idx[k]), version) <= 0 })
	for ; k < len(idx) && releaselake.CompareVersions(ix.version(idx[k]), version) == 0; k++ {
		if ix.version(idx[k]) == version { // versions that compare equal may be spelt apart
			return ix.Row(int(idx[k])), true
		}
	}
	return releaselake.Release{}, false
}
