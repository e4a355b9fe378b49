package serving

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

// seenSinceOf picks no seenSince filter, or one that keeps most rows or
// few (randomRows' firstSeenAt are days 1 to 3): countSeen counts each
// way.
func seenSinceOf(rng *rand.Rand) *time.Time {
	d2, d3 := day(2), day(3)
	return []*time.Time{nil, nil, &d2, &d3}[rng.IntN(4)]
}

// Paging backward (Relay's last/before) from the end of the list to its start
// gives the same releases as the reference order, in every sort and filter,
// with hasPrev and hasNext saying where each page is.
func TestIndex_Page_backwardEqualsForwardReversed(t *testing.T) {
	defer func(n int) { fewSeenRows = n }(fewSeenRows)
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 300 {
		all := randomRows(rng, 1+rng.IntN(120))
		ix := NewIndex(releaselake.Snapshot{Version: 1, Releases: slices.Clone(all)})
		yes, no := true, false
		d5, d12 := day(5), day(12)
		q := Query{Backward: true}
		switch rng.IntN(4) {
		case 1:
			q.Products = []string{"b"}
		case 2:
			q.Products = []string{"d", "a", "c", "zz"}
		case 3:
			q.Products = []string{"a", "b", "e"}
		}
		q.Prerelease = []*bool{nil, &yes, &no}[rng.IntN(3)]
		q.Since = []*time.Time{nil, &d5}[rng.IntN(2)]
		q.Until = []*time.Time{nil, &d12}[rng.IntN(2)]
		q.SeenSince = seenSinceOf(rng)
		fewSeenRows = []int{4096, 5, 0}[rng.IntN(3)] // sorting the rows seen since, or walking all
		q.Sort = Sort{Key: SortKey(rng.IntN(int(numSortKeys))), Asc: rng.IntN(2) == 0}
		q.First = 1 + rng.IntN(15)
		want := tags(reference(all, q))
		var got []string // the pages from the last one, each in list order
		for pages := 0; ; pages++ {
			pg := ix.Page(q)
			if pg.Total != len(want) {
				t.Fatalf("round %d %+v: total %d, want %d", round, q, pg.Total, len(want))
			}
			page := tags(rowsOf(ix, pg))
			got = append(page, got...)
			if pg.HasNext != (pages > 0) {
				t.Fatalf("round %d page %d: hasNext %v", round, pages, pg.HasNext)
			}
			if !pg.HasPrev {
				break
			}
			if len(pg.Rows) != q.First || pages > 200 {
				t.Fatalf("round %d: a page of %d with more before it", round, len(pg.Rows))
			}
			c := ix.Row(int(pg.Rows[0]))
			q.After = &c
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("round %d sort %+v products %v:\n got %v\nwant %v", round, q.Sort, q.Products, got, want)
		}
	}
}

// A page before a cursor holds the releases just before it, in list order,
// for every sort: the last rows of the forward list up to the cursor.
func TestIndex_Page_beforeCursorIsTheTailBeforeIt(t *testing.T) {
	all := testIndex().Releases(Filter{})
	ix := testIndex()
	for _, s := range []Sort{{ByPublished, false}, {ByPublished, true}, {ByVersion, false}, {ByVersion, true}, {ByFirstSeen, false}, {ByFirstSeen, true}} {
		full := reference(all, Query{Sort: s})
		for at := range full {
			c := full[at]
			pg := ix.Page(Query{Sort: s, After: &c, First: 2, Backward: true})
			want := tags(full[max(0, at-2):at])
			if got := tags(rowsOf(ix, pg)); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%+v: 2 before %s: got %v, want %v", s, c.Tag, got, want)
			}
			if pg.HasPrev != (at > 2) || !pg.HasNext {
				t.Errorf("%+v: 2 before %s: hasPrev %v hasNext %v", s, c.Tag, pg.HasPrev, pg.HasNext)
			}
		}
	}
}

// A release is found by its tag, or by its version: of two tags with one
// version the first by tag; 1.0 and 1.0.0 are two versions.
func TestIndex_ReleaseByTagAndVersion(t *testing.T) {
	ix := NewIndex(releaselake.Snapshot{Releases: []releaselake.Release{
		{Product: "a", Tag: "v1.0", Version: "1.0", PublishedAt: day(1)},
		{Product: "a", Tag: "1.0", Version: "1.0", PublishedAt: day(2)},
		{Product: "a", Tag: "v1.0.0", Version: "1.0.0", PublishedAt: day(3)},
		{Product: "a", Tag: "v2.0.0-rc.1", Version: "2.0.0-rc.1", PublishedAt: day(4)},
		{Product: "b", Tag: "v1.0", Version: "1.0", PublishedAt: day(5)},
	}})
	for _, tc := range []struct{ product, version, tag string }{
		{"a", "1.0", "1.0"}, // "1.0" < "v1.0"
		{"a", "1.0.0", "v1.0.0"},
		{"a", "2.0.0-rc.1", "v2.0.0-rc.1"},
		{"b", "1.0", "v1.0"},
		{"a", "3.0", ""},
		{"zz", "1.0", ""},
	} {
		rel, ok := ix.ReleaseOfVersion(tc.product, tc.version)
		if ok != (tc.tag != "") || rel.Tag != tc.tag || ok && rel.Product != tc.product {
			t.Errorf("%s %s: %s %s %v, want %s", tc.product, tc.version, rel.Product, rel.Tag, ok, tc.tag)
		}
		if tc.tag == "" {
			continue
		}
		if byTag, ok := ix.Release(tc.product, tc.tag); !ok || byTag.Version != tc.version || byTag.Product != tc.product {
			t.Errorf("%s tag %s: %+v %v", tc.product, tc.tag, byTag, ok)
		}
	}
	if rel, ok := ix.Release("a", "v9"); ok {
		t.Errorf("tag v9: %+v", rel)
	}
}

// Release finds every row by its product and tag, and no tag the product
// lacks (its binary search by tag against a scan of the rows).
func TestIndex_releaseFindsEveryTag(t *testing.T) {
	rows := randomRows(rand.New(rand.NewPCG(5, 6)), 300)
	ix := NewIndex(releaselake.Snapshot{Version: 1, Releases: rows})
	for _, want := range rows {
		got, ok := ix.Release(want.Product, want.Tag)
		if !ok || got.Product != want.Product || got.Tag != want.Tag || got.Version != want.Version {
			t.Fatalf("%s %s: %+v %v", want.Product, want.Tag, got, ok)
		}
		for _, missing := range []string{want.Tag + "x", "", want.Tag[:len(want.Tag)-1]} {
			if slices.ContainsFunc(rows, func(r releaselake.Release) bool { return r.Product == want.Product && r.Tag == missing }) {
				continue
			}
			if got, ok := ix.Release(want.Product, missing); ok {
				t.Fatalf("%s %q: found %+v", want.Product, missing, got)
			}
		}
	}
}

// An empty page at a cursor says what lies behind it as a page of one does:
// on [a, b], `after: a, first: 0` has a previous page as `after: a,
// first: 1` has (a), and backward likewise; in every order, under a filter.
func TestPage_emptyPageAtCursorAgreesWithAFullOne(t *testing.T) {
	ix := NewIndex(releaselake.Snapshot{Version: 1, Releases: []releaselake.Release{
		{Product: "a", Tag: "a", Version: "1.0", PublishedAt: day(1), FirstSeenAt: day(1)},
		{Product: "a", Tag: "b", Version: "2.0", PublishedAt: day(2), FirstSeenAt: day(2)},
	}})
	rows := randomRows(rand.New(rand.NewPCG(9, 10)), 60)
	big := NewIndex(releaselake.Snapshot{Version: 1, Releases: rows})
	stable := false
	for _, c := range []struct {
		ix *Index
		f  Filter
	}{{ix, Filter{}}, {big, Filter{}}, {big, Filter{Prerelease: &stable, Products: []string{"b", "a"}}}} {
		for k := range numSortKeys {
			for _, asc := range []bool{false, true} {
				s := Sort{Key: k, Asc: asc}
				all := rowsOf(c.ix, c.ix.Page(Query{Sort: s, First: c.ix.Rows()}))
				for _, backward := range []bool{false, true} {
					for i := range all {
						at := all[i]
						q := Query{Filter: c.f, Sort: s, After: &at, Backward: backward}
						empty := c.ix.Page(q)
						q.First = 1
						one := c.ix.Page(q)
						behindEmpty, behindOne := empty.HasPrev, one.HasPrev
						if backward {
							behindEmpty, behindOne = empty.HasNext, one.HasNext
						}
						if len(one.Rows) == 1 && behindEmpty != behindOne {
							t.Fatalf("%v backward %v at %s %s: empty page says %v behind, a page of one %v",
								s, backward, at.Product, at.Tag, behindEmpty, behindOne)
						}
						if c.ix == ix && s == (Sort{}) && !backward && at.Tag == "b" && !empty.HasPrev {
							t.Fatalf("after b, first 0, newest first: no previous page")
						}
					}
				}
			}
		}
	}
}
