package serving

import (
	"github.com/releaselake/releaselake"

	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"
)

// naiveIndex is NewIndex as it was before it had to build a million rows:
// sorts with Less and its variants, an index of releases by key. NewIndex
// must build the same orders.
type naiveIndex struct {
	rows     []releaselake.Release // in Less order
	order    [numSortKeys][]releaselake.ReleaseKey
	pre      []int32 // pre[k]: prereleases among rows[:k]
	products map[string]*naiveProduct
	keys     []string
}

type naiveProduct struct {
	order  [numSortKeys][]releaselake.ReleaseKey
	pre    []int32
	latest *releaselake.Release
}

func newNaiveIndex(snap releaselake.Snapshot) *naiveIndex {
	rows := snap.Releases
	sort.Slice(rows, func(i, j int) bool { return releaselake.Less(&rows[i], &rows[j]) })
	ix := &naiveIndex{rows: rows, pre: make([]int32, len(rows)+1), products: map[string]*naiveProduct{}}
	for i := range rows {
		r := &rows[i]
		ix.order[ByPublished] = append(ix.order[ByPublished], r.Key())
		ix.pre[i+1] = ix.pre[i]
		if r.Prerelease {
			ix.pre[i+1]++
		}
		pi := ix.products[r.Product]
		if pi == nil {
			pi = &naiveProduct{pre: []int32{0}}
			ix.products[r.Product] = pi
			ix.keys = append(ix.keys, r.Product)
		}
		pi.order[ByPublished] = append(pi.order[ByPublished], r.Key())
		last := pi.pre[len(pi.pre)-1]
		if r.Prerelease {
			last++
		}
		pi.pre = append(pi.pre, last)
		if !r.Prerelease && !r.Yanked && (pi.latest == nil || releaselake.CompareVersions(r.Version, pi.latest.Version) > 0) {
			pi.latest = r
		}
	}
	sort.Strings(ix.keys)
	fs := slices.Clone(rows)
	sort.SliceStable(fs, func(a, b int) bool { return lessFirstSeen(&fs[a], &fs[b]) })
	for i := range fs {
		ix.order[ByFirstSeen] = append(ix.order[ByFirstSeen], fs[i].Key())
		pi := ix.products[fs[i].Product]
		pi.order[ByFirstSeen] = append(pi.order[ByFirstSeen], fs[i].Key())
	}
	for _, p := range ix.keys {
		var vs []releaselake.Release
		for i := range rows {
			if rows[i].Product == p {
				vs = append(vs, rows[i])
			}
		}
		sort.SliceStable(vs, func(a, b int) bool { return lessVersion(&vs[a], &vs[b]) })
		pi := ix.products[p]
		for i := range vs {
			pi.order[ByVersion] = append(pi.order[ByVersion], vs[i].Key())
		}
		ix.order[ByVersion] = append(ix.order[ByVersion], pi.order[ByVersion]...)
	}
	return ix
}

// assertSameIndex compares an index with the naive one, ordering by ordering,
// and every row's release with the one it was made from (times as instants:
// the index gives them in UTC).
func assertSameIndex(t *testing.T, got *Index, want *naiveIndex) {
	t.Helper()
	if got.Rows() != len(want.rows) {
		t.Fatalf("%d rows; want %d", got.Rows(), len(want.rows))
	}
	byKey := map[releaselake.ReleaseKey]releaselake.Release{}
	for _, r := range want.rows {
		byKey[r.Key()] = r
	}
	for i := range got.Rows() {
		g := got.Row(i)
		w, ok := byKey[g.Key()]
		if !ok {
			t.Fatalf("row %d is %s@%s, which the snapshot does not hold", i, g.Product, g.Tag)
		}
		if g.PublishedAt.Location() != time.UTC || g.FirstSeenAt.Location() != time.UTC {
			t.Fatalf("row %d: times not in UTC: %v, %v", i, g.PublishedAt, g.FirstSeenAt)
		}
		if !g.PublishedAt.Equal(w.PublishedAt) || !g.FirstSeenAt.Equal(w.FirstSeenAt) {
			t.Fatalf("row %d: times %v, %v; want %v, %v", i, g.PublishedAt, g.FirstSeenAt, w.PublishedAt, w.FirstSeenAt)
		}
		g.PublishedAt, g.FirstSeenAt = w.PublishedAt, w.FirstSeenAt
		if g != w {
			t.Fatalf("row %d is\n %+v\nwant %+v", i, g, w)
		}
	}
	keys := func(rows []int32) []releaselake.ReleaseKey {
		out := make([]releaselake.ReleaseKey, len(rows))
		for i, r := range rows {
			out[i] = got.Row(int(r)).Key()
		}
		return out
	}
	same := func(what string, a, b []releaselake.ReleaseKey) {
		t.Helper()
		if !slices.Equal(a, b) {
			t.Fatalf("%s:\n got %v\nwant %v", what, a, b)
		}
	}
	for k := range numSortKeys {
		same(fmt.Sprint("order ", k), keys(got.order[k]), want.order[k])
	}
	for pos, i := range got.order[ByPublished] {
		if got.pubRank[i] != int32(pos) {
			t.Fatalf("pubRank[%d] = %d; want %d", i, got.pubRank[i], pos)
		}
	}
	for pos, i := range got.order[ByFirstSeen] {
		if got.fsRank[i] != int32(pos) {
			t.Fatalf("fsRank[%d] = %d; want %d", i, got.fsRank[i], pos)
		}
	}
	if !slices.Equal(got.pre, want.pre) {
		t.Fatalf("pre %v; want %v", got.pre, want.pre)
	}
	if !slices.Equal(got.keys, want.keys) || len(got.products) != len(want.products) {
		t.Fatalf("products %v; want %v", got.keys, want.keys)
	}
	for p, w := range want.products {
		g := got.products[p]
		for k := range numSortKeys {
			same(fmt.Sprintf("%s order %d", p, k), keys(g.order[k]), w.order[k])
		}
		if !slices.Equal(g.pre, w.pre) {
			t.Fatalf("%s pre %v; want %v", p, g.pre, w.pre)
		}
		l, ok := got.Latest(p)
		switch {
		case ok != (w.latest != nil):
			t.Fatalf("%s latest: %v; want %v", p, ok, w.latest != nil)
		case ok && l.Key() != w.latest.Key():
			t.Fatalf("%s latest: %s; want %s", p, l.Tag, w.latest.Tag)
		}
	}
}

// oddIndexRows adds what randomRows lacks: strings that are not versions,
// versions that are equal by order but not by string, nanoseconds, one instant
// in two time zones, the zero time, and a product with only prereleases.
func oddIndexRows(rng *rand.Rand, n int) []releaselake.Release {
	rows := randomRows(rng, n)
	est := time.FixedZone("EST", -5*3600)
	odd := []releaselake.Release{
		{Product: "b", Tag: "nightly", Version: "nightly", Notes: "## Nightly\n\n<script>x</script> ✓", URL: "https://u"},
		{Product: "b", Tag: "empty", Version: "", Notes: "n"},
		{Product: "b", Tag: "1.2", Version: "1.2", PublishedAt: day(3)},
		{Product: "b", Tag: "1.2.0", Version: "1.2.0", PublishedAt: day(3).In(est)},
		{Product: "b", Tag: "1.0.0.RELEASE", Version: "1.0.0.RELEASE", PublishedAt: day(2).Add(time.Nanosecond)},
		{Product: "b", Tag: "v1.0.0", Version: "1.0.0", PublishedAt: day(2).Add(time.Nanosecond), FirstSeenAt: day(2).Add(time.Nanosecond)},
		{Product: "b", Tag: "1.0.0", Version: "1.0.0", PublishedAt: day(2), Yanked: true},
		{Product: "b", Tag: "release-1.0.0", Version: "1.0.0", PublishedAt: day(1)},
		{Product: "b", Tag: "1.2.3.4.5", Version: "1.2.3.4.5", PublishedAt: day(3)},
		{Product: "b", Tag: "1.2.3.4", Version: "1.2.3.4", PublishedAt: day(3)},
		{Product: "b", Tag: "01.2.3.4", Version: "01.2.3.4", PublishedAt: day(3)},
		{Product: "b", Tag: "99999999999999999999.0", Version: "99999999999999999999.0"},
		{Product: "e", Tag: "9.0rc1", Version: "9.0rc1", Prerelease: true},
		{Product: "日本", Tag: "ü", Version: "2.0+build.1", PublishedAt: day(4)},
	}
	rows = slices.DeleteFunc(rows, func(r releaselake.Release) bool { return r.Product == "b" || r.Product == "e" })
	rows = append(rows, odd...)
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	return rows
}

func TestNewIndex_sameAsNaiveBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 200 {
		var rows []releaselake.Release
		switch round % 3 {
		case 0:
			rows = randomRows(rng, rng.IntN(150))
		default:
			rows = oddIndexRows(rng, rng.IntN(300))
		}
		got := NewIndex(releaselake.Snapshot{Version: 1, Releases: slices.Clone(rows)})
		want := newNaiveIndex(releaselake.Snapshot{Version: 1, Releases: slices.Clone(rows)})
		assertSameIndex(t, got, want)
	}
}

func TestNewIndex_empty(t *testing.T) {
	ix := NewIndex(releaselake.Snapshot{Version: 2, Releases: []releaselake.Release{}})
	assertSameIndex(t, ix, newNaiveIndex(releaselake.Snapshot{Version: 2, Releases: []releaselake.Release{}}))
	if pg := ix.Page(Query{First: 10}); pg.Total != 0 || len(pg.Rows) != 0 {
		t.Fatalf("page of an empty index: %+v", pg)
	}
}

// A build big enough for the parallel sorts and copies to split their work.
func TestNewIndex_sameAsNaiveBuild_large(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	rows := make([]releaselake.Release, 40_000)
	for i := range rows {
		v := fmt.Sprintf("%d.%d.%d", rng.IntN(4), rng.IntN(30), rng.IntN(10))
		if rng.IntN(5) == 0 {
			v += "-rc." + fmt.Sprint(rng.IntN(3))
		}
		rows[i] = releaselake.Release{Product: fmt.Sprintf("p%02d", rng.IntN(40)), Tag: fmt.Sprintf("t%d", i), Version: v,
			PublishedAt: day(1).Add(time.Duration(rng.IntN(2000)) * time.Hour), FirstSeenAt: day(1 + rng.IntN(5)),
			Prerelease: rng.IntN(7) == 0, Yanked: rng.IntN(50) == 0}
	}
	got := NewIndex(releaselake.Snapshot{Version: 1, Releases: slices.Clone(rows)})
	assertSameIndex(t, got, newNaiveIndex(releaselake.Snapshot{Version: 1, Releases: rows}))
}

func TestReleaseKey_ordersAsReleaseParts(t *testing.T) {
	vs := []string{"1", "1.0", "1.0.0", "01.2", "1.2", "1.10", "1.9.9", "0.0.0.1", "0.0.0.0.1", "1.2.3.4.5",
		"18446744073709551615.1", "9999999999999999999.1", "10000000000000000000", "0000000000000000000000001.1",
		"2.0.0-rc.1", "2.0.0", "3.13.0rc2", "1.2+build", "nightly", "",
		"65535", "65535.65535.65535.65535", "4095.4095.65535.255", "4095.4096", "1.2.3.256", "1.2.3.255", "65536", "1.65536", "1.65535.9", "20231015.1", "2023.10.15"}
	for _, a := range vs {
		for _, b := range vs {
			ka, kb := releaseKeyOf(releaselake.VersionOf(a)), releaseKeyOf(releaselake.VersionOf(b))
			if !ka.ok || !kb.ok {
				continue
			}
			want := slices.Compare(ka.c[:], kb.c[:]) // Version.ReleaseKey's order, tested in the root
			if sa, aok := ka.short(); aok {
				if sb, bok := kb.short(); bok && cmp.Compare(sb, sa) != want {
					t.Errorf("%q vs %q: short keys compare %d (greatest first); release numbers %d", a, b, cmp.Compare(sb, sa), want)
				}
			}
			if got := ka.compare(&kb); got != want {
				t.Errorf("%q vs %q: keys compare %d; release numbers %d", a, b, got, want)
			}
		}
	}
}

func TestSortTimes_newestFirstAndStable(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	pool := []time.Time{{}, time.Unix(0, 0), time.Unix(-1, 999_999_999), time.Unix(1<<40, 1), time.Unix(-1<<40, 0),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC), day(1), day(1).Add(time.Microsecond), day(1).Add(time.Nanosecond)}
	for round := range 50 {
		n := rng.IntN(3000)
		times := make([]time.Time, n)
		items := make([]timeItem, n)
		for i := range times {
			if rng.IntN(2) == 0 {
				times[i] = pool[rng.IntN(len(pool))]
			} else {
				times[i] = day(1).Add(time.Duration(rng.Int64N(1 << 50)))
			}
			items[i] = newTimeItem(times[i], int32(i))
		}
		want := make([]int32, n)
		for i := range want {
			want[i] = int32(i)
		}
		slices.SortStableFunc(want, func(a, b int32) int { return times[b].Compare(times[a]) })
		got := sortTimes(items)
		for i := range got {
			if got[i].row != want[i] {
				t.Fatalf("round %d: position %d holds row %d (%v); want row %d (%v)", round, i, got[i].row, times[got[i].row], want[i], times[want[i]])
			}
		}
	}
}

// The version sort's 48-bit keys hold a row's place in 16 bits: a product of
// more than 65,536 rows, one of exactly that many, one whose versions do not
// all fit (the last one, or some of many), and long runs of one release
// number told apart by suffix must still sort as the naive build does. The
// rows also span several of NewIndex's blocks, so several arenas.
func TestNewIndex_sameAsNaiveBuild_versionKeyEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	suffixes := []string{"", "-rc.1", "rc2", ".RELEASE", "+b1", "-alpha", ".post1", "-RC1", "+b10"}
	suffix := func() string { return suffixes[rng.IntN(len(suffixes))] }
	var rows []releaselake.Release
	add := func(p string, n int, version func(i int) string) {
		for i := range n {
			rows = append(rows, releaselake.Release{Product: p, Tag: fmt.Sprintf("t%d-%d", rng.Uint32(), len(rows)), Version: version(i),
				PublishedAt: day(1).Add(time.Duration(rng.IntN(50)) * time.Hour), FirstSeenAt: day(1 + rng.IntN(3)),
				Prerelease: rng.IntN(5) == 0, Yanked: rng.IntN(30) == 0})
		}
	}
	add("big", 70_000, func(int) string { return fmt.Sprintf("%d.%d.%d%s", rng.IntN(3), rng.IntN(5), rng.IntN(3), suffix()) })
	add("exact", 1<<16, func(int) string { return fmt.Sprintf("1.%d%s", rng.IntN(4), suffix()) })
	add("mixed", 3000, func(int) string {
		switch rng.IntN(6) {
		case 0:
			return fmt.Sprintf("%d.1", 4095+rng.IntN(3))
		case 1:
			return fmt.Sprintf("1.2.3.%d", 254+rng.IntN(4))
		case 2:
			return fmt.Sprintf("1.2.%d", 65534+rng.IntN(4))
		case 3:
			return "1.2.3.4.5"
		case 4:
			return "nightly"
		}
		return "1.2" + suffix()
	})
	add("lastbad", 500, func(i int) string {
		if i == 499 {
			return "5000.0"
		}
		return fmt.Sprintf("1.%d", rng.IntN(3))
	})
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	got := NewIndex(releaselake.Snapshot{Version: 1, Releases: slices.Clone(rows)})
	assertSameIndex(t, got, newNaiveIndex(releaselake.Snapshot{Version: 1, Releases: rows}))
}

// Rows stored before the ingest checked URLs are served without a URL that is
// not http or https: GraphQL's Release.url and the page link to it.
func TestNewIndex_servesNoURLOfAnotherScheme(t *testing.T) {
	ix := NewIndex(releaselake.Snapshot{Releases: []releaselake.Release{
		{Product: "a", Tag: "1", Version: "1", URL: "javascript:alert(1)"},
		{Product: "a", Tag: "2", Version: "2", URL: "https://example.com/2"},
		{Product: "a", Tag: "3", Version: "3", URL: " HTTPS://example.com/3"},
		{Product: "a", Tag: "4", Version: "4", URL: "data:text/html,x"},
	}})
	want := map[string]string{"1": "", "2": "https://example.com/2", "3": "HTTPS://example.com/3", "4": ""}
	for i := range ix.Rows() {
		if r := ix.Row(i); r.URL != want[r.Tag] {
			t.Errorf("%s: URL %q, want %q", r.Tag, r.URL, want[r.Tag])
		}
	}
}
