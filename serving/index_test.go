package serving

import (
	"github.com/releaselake/releaselake"

	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func day(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }

func testIndex() *Index {
	return NewIndex(releaselake.Snapshot{Version: 3, Releases: []releaselake.Release{
		{Product: "a", Tag: "v1.9.3", Version: "1.9.3", PublishedAt: day(1)},
		{Product: "a", Tag: "v1.13.5", Version: "1.13.5", PublishedAt: day(2)},
		{Product: "a", Tag: "v2.0.0-rc.1", Version: "2.0.0-rc.1", PublishedAt: day(3), Prerelease: true},
		{Product: "a", Tag: "v1.12.9", Version: "1.12.9", PublishedAt: day(4)}, // a backport, newest by date
		{Product: "b", Tag: "1.0", Version: "1.0", PublishedAt: day(2)},
		{Product: "b", Tag: "2.0", Version: "2.0", PublishedAt: day(5), Yanked: true},
		{Product: "c", Tag: "0.1rc1", Version: "0.1rc1", PublishedAt: day(1), Prerelease: true},
	}})
}

func tags(rs []releaselake.Release) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Product+"@"+r.Tag)
	}
	return out
}

func TestIndex_Latest_byVersionNotDate(t *testing.T) {
	ix := testIndex()
	for product, want := range map[string]string{"a": "1.13.5", "b": "1.0"} {
		if l, ok := ix.Latest(product); !ok || l.Version != want {
			t.Errorf("Latest(%s) = %q, %v; want %s", product, l.Version, ok, want)
		}
	}
	if l, ok := ix.Latest("c"); ok {
		t.Errorf("Latest(c) = %s; a product with only prereleases has none", l.Version)
	}
}

func TestIndex_Releases_filters(t *testing.T) {
	ix := testIndex()
	yes, no := true, false
	d2, d4 := day(2), day(4)
	cases := []struct {
		name string
		f    Filter
		want []string
	}{
		{"all, newest first", Filter{}, []string{"b@2.0", "a@v1.12.9", "a@v2.0.0-rc.1", "a@v1.13.5", "b@1.0", "a@v1.9.3", "c@0.1rc1"}},
		{"one product", Filter{Products: []string{"b"}}, []string{"b@2.0", "b@1.0"}},
		{"two products merged", Filter{Products: []string{"c", "b"}}, []string{"b@2.0", "b@1.0", "c@0.1rc1"}},
		{"since is inclusive", Filter{Products: []string{"a"}, Since: &d2}, []string{"a@v1.12.9", "a@v2.0.0-rc.1", "a@v1.13.5"}},
		{"until is exclusive", Filter{Until: &d2}, []string{"a@v1.9.3", "c@0.1rc1"}},
		{"window", Filter{Since: &d2, Until: &d4}, []string{"a@v2.0.0-rc.1", "a@v1.13.5", "b@1.0"}},
		{"empty window", Filter{Since: &d4, Until: &d2}, nil},
		{"prereleases only", Filter{Prerelease: &yes}, []string{"a@v2.0.0-rc.1", "c@0.1rc1"}},
		{"stable only", Filter{Products: []string{"a"}, Prerelease: &no}, []string{"a@v1.12.9", "a@v1.13.5", "a@v1.9.3"}},
		{"unknown product", Filter{Products: []string{"zz"}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tags(ix.Releases(tc.f))
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// reference lists what a query should return, the slow and obvious way.
func reference(all []releaselake.Release, q Query) []releaselake.Release {
	var out []releaselake.Release
	for _, r := range all {
		if q.Products != nil && !slices.Contains(q.Products, r.Product) {
			continue
		}
		switch {
		case q.Prerelease != nil && r.Prerelease != *q.Prerelease:
		case q.Since != nil && r.PublishedAt.Before(*q.Since):
		case q.Until != nil && !r.PublishedAt.Before(*q.Until):
		case q.SeenSince != nil && r.FirstSeenAt.Before(*q.SeenSince):
		default:
			out = append(out, r)
		}
	}
	less := func(a, b *releaselake.Release) bool {
		switch q.Sort.Key {
		case ByVersion:
			if a.Product != b.Product {
				return a.Product < b.Product
			}
			if q.Sort.Asc {
				return lessVersion(b, a)
			}
			return lessVersion(a, b)
		case ByFirstSeen:
			if q.Sort.Asc {
				return lessFirstSeen(b, a)
			}
			return lessFirstSeen(a, b)
		}
		if q.Sort.Asc {
			return releaselake.Less(b, a)
		}
		return releaselake.Less(a, b)
	}
	sort.Slice(out, func(i, j int) bool { return less(&out[i], &out[j]) })
	return out
}

// randomRows makes n releases of up to 5 products with colliding dates,
// versions that sort differently from their strings, and some prereleases.
func randomRows(rng *rand.Rand, n int) []releaselake.Release {
	seen := map[releaselake.ReleaseKey]bool{}
	var out []releaselake.Release
	for len(out) < n {
		p := string(rune('a' + rng.IntN(5)))
		v := fmt.Sprintf("%d.%d.%d", rng.IntN(3), rng.IntN(12), rng.IntN(4))
		pre := rng.IntN(4) == 0
		if pre {
			v += fmt.Sprintf("-rc.%d", rng.IntN(3))
		}
		tag := "v" + v
		if rng.IntN(5) == 0 {
			tag = v // the same version under two tags
		}
		k := releaselake.ReleaseKey{Product: p, Tag: tag}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, releaselake.Release{Product: p, Tag: tag, Version: v, Prerelease: pre, Yanked: rng.IntN(20) == 0,
			PublishedAt: day(1 + rng.IntN(20)), FirstSeenAt: day(1 + rng.IntN(3))})
	}
	return out
}

func TestIndex_Page_matchesReferenceAcrossPages(t *testing.T) {
	defer func(n int) { fewSeenRows = n }(fewSeenRows)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		all := randomRows(rng, 1+rng.IntN(120))
		ix := NewIndex(releaselake.Snapshot{Version: 1, Releases: slices.Clone(all)})
		yes, no := true, false
		d5, d12 := day(5), day(12)
		var q Query
		switch rng.IntN(6) {
		case 1:
			q.Products = []string{"b"}
		case 2:
			q.Products = []string{"d", "a", "c", "a", "zz"}
		case 3:
			q.Products = []string{}
		case 4:
			q.Products = []string{"a", "b", "d", "e"} // sorted already: used as it is
		case 5:
			q.Products = []string{"a", "a", "c", "e", "zz"} // sorted, with a duplicate
		}
		asked := slices.Clone(q.Products)
		if q.Products != nil && len(q.Products) == 0 {
			q.Products = nil
		}
		q.Prerelease = []*bool{nil, &yes, &no}[rng.IntN(3)]
		q.Since = []*time.Time{nil, &d5}[rng.IntN(2)]
		q.Until = []*time.Time{nil, &d12}[rng.IntN(2)]
		q.SeenSince = seenSinceOf(rng)
		fewSeenRows = []int{4096, 5, 0}[rng.IntN(3)] // sorting the rows seen since, or walking all
		q.Sort = Sort{Key: SortKey(rng.IntN(int(numSortKeys))), Asc: rng.IntN(2) == 0}
		q.First = 1 + rng.IntN(15)
		want := reference(all, q)
		var got []string
		for pages := 0; ; pages++ {
			pg := ix.Page(q)
			if pg.Total != len(want) {
				t.Fatalf("round %d %+v: total %d, want %d", round, q, pg.Total, len(want))
			}
			for _, i := range pg.Rows {
				r := ix.Row(int(i))
				got = append(got, r.Product+"@"+r.Tag)
			}
			if pg.HasPrev != (pages > 0) {
				t.Fatalf("round %d page %d: hasPrev %v", round, pages, pg.HasPrev)
			}
			if !pg.HasNext {
				break
			}
			if len(pg.Rows) != q.First || pages > 200 {
				t.Fatalf("round %d: a page of %d with more to come", round, len(pg.Rows))
			}
			c := ix.Row(int(pg.Rows[len(pg.Rows)-1]))
			q.After = &c
		}
		if w := tags(want); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Fatalf("round %d sort %+v products %v:\n got %v\nwant %v", round, q.Sort, q.Products, got, w)
		}
		if !slices.Equal(q.Products, asked) {
			t.Fatalf("round %d: Page changed the products asked, %v, to %v", round, asked, q.Products)
		}
	}
}

func TestIndex_Page_cursorOfDeletedRowResumesAtTheNext(t *testing.T) {
	for _, s := range []Sort{{ByPublished, false}, {ByPublished, true}, {ByVersion, false}, {ByVersion, true}, {ByFirstSeen, false}, {ByFirstSeen, true}} {
		all := testIndex().Releases(Filter{})
		full := reference(all, Query{Sort: s})
		gone := full[2]
		var rest []releaselake.Release
		for _, r := range all {
			if r.Key() != gone.Key() {
				rest = append(rest, r)
			}
		}
		ix := NewIndex(releaselake.Snapshot{Releases: rest})
		pg := ix.Page(Query{Sort: s, After: &gone, First: 100})
		if got, want := tags(rowsOf(ix, pg)), tags(full[3:]); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%+v: after deleted %s got %v, want %v", s, gone.Tag, got, want)
		}
	}
}

func TestIndex_Page_versionOrderIsVersionNotString(t *testing.T) {
	ix := testIndex()
	pg := ix.Page(Query{Filter: Filter{Products: []string{"a"}}, Sort: Sort{Key: ByVersion}, First: 10})
	want := []string{"a@v2.0.0-rc.1", "a@v1.13.5", "a@v1.12.9", "a@v1.9.3"}
	if got := tags(rowsOf(ix, pg)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func rowsOf(ix *Index, pg Page) []releaselake.Release {
	out := make([]releaselake.Release, len(pg.Rows))
	for i, r := range pg.Rows {
		out[i] = ix.Row(int(r))
	}
	return out
}
