package lake

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/releaselake/releaselake"
)

// split's runs cover the rows in order, end at products' ends, and hold at
// most the limit unless one product alone is larger; they are about even.
func TestSplit_runsEndAtProductsWithinTheLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		var rels []releaselake.Release
		for p := range rng.IntN(40) {
			size := 1 + rng.IntN(60)
			if rng.IntN(10) == 0 {
				size = 100 + rng.IntN(300)
			}
			for j := range size {
				rels = append(rels, releaselake.Release{Product: fmt.Sprintf("p%03d", p), Tag: fmt.Sprintf("t%04d", j)})
			}
		}
		rows := sortReleases(rels)
		limit := 1 + rng.IntN(150)
		runs := split(rows, limit)
		lo := 0
		for _, r := range runs {
			if r[0] != lo || r[1] <= r[0] {
				t.Fatalf("trial %d: runs %v do not cover the rows in order", trial, runs)
			}
			if r[1] < rows.len() && rows.at(r[1]).Product == rows.at(r[1]-1).Product {
				t.Fatalf("trial %d: run %v ends inside product %s", trial, r, rows.at(r[1]).Product)
			}
			if n := r[1] - r[0]; n > limit && rows.at(r[0]).Product != rows.at(r[1]-1).Product {
				t.Fatalf("trial %d: run %v of %d rows (limit %d) holds more than one product", trial, r, n, limit)
			}
			lo = r[1]
		}
		if lo != rows.len() {
			t.Fatalf("trial %d: runs end at %d of %d rows", trial, lo, rows.len())
		}
	}
}

// A fingerprint changes with any column of any row, and not otherwise.
func TestFingerprint_seesEveryColumn(t *testing.T) {
	base := []releaselake.Release{{Product: "p", Tag: "a"}, {Product: "p", Tag: "b", Name: "x"}}
	fp := fingerprint(sortReleases(base))
	if again := fingerprint(sortReleases([]releaselake.Release{base[1], base[0]})); again != fp {
		t.Errorf("the same rows in another order: %s, want %s", again, fp)
	}
	for k := range releaselake.ReleaseColumns {
		rows := []releaselake.Release{base[0], base[1]}
		r := &rows[1]
		switch releaselake.ReleaseColumns[k].Type {
		case releaselake.StringColumn:
			*strAt(r, k) += "!"
		case releaselake.TimeColumn:
			*timeAt(r, k) = timeAt(r, k).Add(1000)
		case releaselake.BoolColumn:
			*boolAt(r, k) = !*boolAt(r, k)
		}
		if got := fingerprint(sortReleases(rows)); got == fp {
			t.Errorf("column %s changed, fingerprint did not", releaselake.ReleaseColumns[k].Name)
		}
	}
	// Strings are length-prefixed: moving a byte between columns shows.
	a := []releaselake.Release{{Product: "p", Tag: "a", Name: "xy", URL: ""}}
	b := []releaselake.Release{{Product: "p", Tag: "a", Name: "x", URL: "y"}}
	if fingerprint(sortReleases(a)) == fingerprint(sortReleases(b)) {
		t.Error("a byte moved from name to url: same fingerprint")
	}
}

func BenchmarkFingerprint(b *testing.B) {
	rels := make([]releaselake.Release, 100000)
	for i := range rels {
		rels[i] = releaselake.Release{Product: fmt.Sprintf("product-%d", i/100), Tag: fmt.Sprintf("v1.%d.%d", i/100, i%100), Version: "1.2.3",
			Name: "Release name here", URL: "https://github.com/owner/repo/releases/tag/v1.2.3", Source: "github-release", Repo: "owner/repo", DateSource: "release-published"}
	}
	rows := sortReleases(rels)
	b.SetBytes(int64(len(rels)))
	for b.Loop() {
		fingerprint(rows)
	}
}

func BenchmarkWriteParquet(b *testing.B) {
	rels := make([]releaselake.Release, 1<<17)
	for i := range rels {
		rels[i] = releaselake.Release{Product: fmt.Sprintf("product-%d", i/100), Tag: fmt.Sprintf("v1.%d.%d", i/100, i%100), Version: fmt.Sprintf("1.%d.%d", i/100, i%100),
			Name: fmt.Sprintf("Release %d", i), URL: fmt.Sprintf("https://github.com/owner/repo%d/releases/tag/v1.2.%d", i/100, i), Source: "github-release", Repo: fmt.Sprintf("owner/repo%d", i/100), DateSource: "release-published"}
	}
	rows := sortReleases(rels)
	b.SetBytes(int64(len(rels)))
	for b.Loop() {
		if _, err := writeParquet(io.Discard, rows); err != nil {
			b.Fatal(err)
		}
		if _, err := statsOf(rows); err != nil {
			b.Fatal(err)
		}
	}
}
