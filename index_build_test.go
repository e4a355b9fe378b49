package releaselake

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"
)

// naiveIndex is NewIndex as it was before it had to build a million rows:
// sorts with Less and its variants. NewIndex must build the same index.
func naiveIndex(snap Snapshot) *Index {
	rows := snap.Releases
	sort.Slice(rows, func(i, j int) bool { return Less(&rows[i], &rows[j]) })
	n := len(rows)
	ix := &Index{Version: snap.Version, CommittedAt: snap.CommittedAt, rows: rows,
		pre: make([]int32, n+1), products: map[string]*productIndex{}}
	counts := map[string]int{}
	for i := range rows {
		counts[rows[i].Product]++
		ix.pre[i+1] = ix.pre[i]
		if rows[i].Prerelease {
			ix.pre[i+1]++
		}
	}
	for p, c := range counts {
		pi := &productIndex{latest: -1, pre: make([]int32, 1, c+1)}
		ix.products[p] = pi
		ix.keys = append(ix.keys, p)
	}
	sort.Strings(ix.keys)
	ix.order[ByPublished] = make([]int32, n)
	for i := range rows {
		r := &rows[i]
		ix.order[ByPublished][i] = int32(i)
		pi := ix.products[r.Product]
		pi.order[ByPublished] = append(pi.order[ByPublished], int32(i))
		last := pi.pre[len(pi.pre)-1]
		if r.Prerelease {
			last++
		}
		pi.pre = append(pi.pre, last)
		if !r.Prerelease && !r.Yanked && (pi.latest < 0 || CompareVersions(r.Version, rows[pi.latest].Version) > 0) {
			pi.latest = int32(i)
		}
	}
	fs := slices.Clone(ix.order[ByPublished])
	sort.SliceStable(fs, func(a, b int) bool { return lessFirstSeen(&rows[fs[a]], &rows[fs[b]]) })
	ix.order[ByFirstSeen] = fs
	ix.fsRank = make([]int32, n)
	for pos, i := range fs {
		ix.fsRank[i] = int32(pos)
	}
	for _, i := range fs {
		pi := ix.products[rows[i].Product]
		pi.order[ByFirstSeen] = append(pi.order[ByFirstSeen], i)
	}
	for _, p := range ix.keys {
		pi := ix.products[p]
		vs := slices.Clone(pi.order[ByPublished])
		sort.SliceStable(vs, func(a, b int) bool { return lessVersion(&rows[vs[a]], &rows[vs[b]]) })
		pi.order[ByVersion] = vs
		ix.order[ByVersion] = append(ix.order[ByVersion], vs...)
	}
	return ix
}

// assertSameIndex compares two indexes field by field (nil and empty slices alike).
func assertSameIndex(t *testing.T, got, want *Index) {
	t.Helper()
	if len(got.rows) != len(want.rows) {
		t.Fatalf("%d rows; want %d", len(got.rows), len(want.rows))
	}
	for i := range want.rows {
		if got.rows[i] != want.rows[i] {
			t.Fatalf("row %d is %s@%s; want %s@%s", i, got.rows[i].Product, got.rows[i].Tag, want.rows[i].Product, want.rows[i].Tag)
		}
	}
	same := func(what string, a, b []int32) {
		t.Helper()
		if !slices.Equal(a, b) {
			t.Fatalf("%s:\n got %v\nwant %v", what, a, b)
		}
	}
	for k := range numSortKeys {
		same(fmt.Sprint("order ", k), got.order[k], want.order[k])
	}
	same("fsRank", got.fsRank, want.fsRank)
	same("pre", got.pre, want.pre)
	if !slices.Equal(got.keys, want.keys) || len(got.products) != len(want.products) {
		t.Fatalf("products %v; want %v", got.keys, want.keys)
	}
	for p, w := range want.products {
		g := got.products[p]
		for k := range numSortKeys {
			same(fmt.Sprintf("%s order %d", p, k), g.order[k], w.order[k])
		}
		same(p+" pre", g.pre, w.pre)
		if g.latest != w.latest {
			t.Fatalf("%s latest: row %d; want %d", p, g.latest, w.latest)
		}
	}
}

// oddIndexRows adds what randomRows lacks: strings that are not versions,
// versions that are equal by order but not by string, nanoseconds, one instant
// in two time zones, the zero time, and a product with only prereleases.
func oddIndexRows(rng *rand.Rand, n int) []Release {
	rows := randomRows(rng, n)
	est := time.FixedZone("EST", -5*3600)
	odd := []Release{
		{Product: "b", Tag: "nightly", Version: "nightly"},
		{Product: "b", Tag: "empty", Version: ""},
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
	rows = slices.DeleteFunc(rows, func(r Release) bool { return r.Product == "b" || r.Product == "e" })
	rows = append(rows, odd...)
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	return rows
}

func TestNewIndex_sameAsNaiveBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 200 {
		var rows []Release
		switch round % 3 {
		case 0:
			rows = randomRows(rng, rng.IntN(150))
		default:
			rows = oddIndexRows(rng, rng.IntN(300))
		}
		got := NewIndex(Snapshot{Version: 1, Releases: slices.Clone(rows)})
		want := naiveIndex(Snapshot{Version: 1, Releases: slices.Clone(rows)})
		assertSameIndex(t, got, want)
	}
}

func TestNewIndex_empty(t *testing.T) {
	ix := NewIndex(Snapshot{Version: 2, Releases: []Release{}})
	assertSameIndex(t, ix, naiveIndex(Snapshot{Version: 2, Releases: []Release{}}))
	if pg := ix.Page(Query{First: 10}); pg.Total != 0 || len(pg.Releases) != 0 {
		t.Fatalf("page of an empty index: %+v", pg)
	}
}

// A build big enough for the parallel sorts and copies to split their work.
func TestNewIndex_sameAsNaiveBuild_large(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	rows := make([]Release, 40_000)
	for i := range rows {
		v := fmt.Sprintf("%d.%d.%d", rng.IntN(4), rng.IntN(30), rng.IntN(10))
		if rng.IntN(5) == 0 {
			v += "-rc." + fmt.Sprint(rng.IntN(3))
		}
		rows[i] = Release{Product: fmt.Sprintf("p%02d", rng.IntN(40)), Tag: fmt.Sprintf("t%d", i), Version: v,
			PublishedAt: day(1).Add(time.Duration(rng.IntN(2000)) * time.Hour), FirstSeenAt: day(1 + rng.IntN(5)),
			Prerelease: rng.IntN(7) == 0, Yanked: rng.IntN(50) == 0}
	}
	got := NewIndex(Snapshot{Version: 1, Releases: slices.Clone(rows)})
	assertSameIndex(t, got, naiveIndex(Snapshot{Version: 1, Releases: rows}))
}

func TestReleaseKey_ordersAsCompareRelease(t *testing.T) {
	vs := []string{"1", "1.0", "1.0.0", "01.2", "1.2", "1.10", "1.9.9", "0.0.0.1", "0.0.0.0.1", "1.2.3.4.5",
		"18446744073709551615.1", "9999999999999999999.1", "10000000000000000000", "0000000000000000000000001.1",
		"2.0.0-rc.1", "2.0.0", "3.13.0rc2", "1.2+build", "nightly", ""}
	for _, a := range vs {
		for _, b := range vs {
			va, _ := parse(a)
			vb, _ := parse(b)
			ka, kb := releaseKeyOf(va), releaseKeyOf(vb)
			if !ka.ok || !kb.ok {
				continue
			}
			want := compareRelease(va.s[:va.relEnd], vb.s[:vb.relEnd])
			got := slices.Compare(ka.c[:], kb.c[:])
			if got != want {
				t.Errorf("%q vs %q: keys compare %d; compareRelease %d", a, b, got, want)
			}
		}
	}
	for _, s := range []string{"1.2.3.4.5", "10000000000000000000", "nightly", ""} {
		if v, _ := parse(s); releaseKeyOf(v).ok {
			t.Errorf("releaseKeyOf(%q) is ok; want it left to Compare", s)
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
