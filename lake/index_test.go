package lake_test

import (
	"context"
	"slices"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake/laketest"
	"github.com/releaselake/releaselake/serving"
)

// Store.ReadColumns reads the newest version into the same index as NewIndex of
// Snapshot, in every order, without making the Releases.
func TestStoreIndex_sameAsNewIndexOfSnapshot(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	ix, err := serving.Load(ctx, s)
	if err != nil || ix.Version != releaselake.NoVersion || ix.Rows() != 0 {
		t.Fatalf("empty lake: index v%d of %d rows, %v; want an empty one at NoVersion", ix.Version, ix.Rows(), err)
	}
	rows := laketest.ScaleRows(150_000, 700) // three row groups, each added in GOMAXPROCS blocks
	if _, err := s.Commit(ctx, releaselake.NoVersion, rows, releaselake.CommitInfo{RunID: "t"}); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := serving.NewIndex(snap)
	got, err := serving.Load(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != want.Version || !got.CommittedAt.Equal(want.CommittedAt) || got.Rows() != want.Rows() {
		t.Fatalf("index v%d at %v of %d rows; want v%d at %v of %d", got.Version, got.CommittedAt, got.Rows(), want.Version, want.CommittedAt, want.Rows())
	}
	for i := range got.Rows() {
		if g, w := got.Row(i), want.Row(i); g != w {
			t.Fatalf("row %d: %+v; want %+v", i, g, w)
		}
	}
	for _, sort := range []serving.Sort{{Key: serving.ByPublished}, {Key: serving.ByVersion, Asc: true}, {Key: serving.ByFirstSeen}} {
		for _, products := range [][]string{nil, {rows[0].Product, rows[len(rows)-1].Product}} {
			q := serving.Query{Filter: serving.Filter{Products: products}, Sort: sort, First: len(rows)}
			g, w := got.Page(q), want.Page(q)
			if !slices.Equal(g.Rows, w.Rows) || g.Total != w.Total {
				t.Fatalf("sort %+v products %v: pages differ (%d and %d rows)", sort, products, len(g.Rows), len(w.Rows))
			}
		}
		for _, p := range []string{rows[0].Product, rows[len(rows)/2].Product} {
			g, gok := got.Latest(p)
			w, wok := want.Latest(p)
			if g != w || gok != wok {
				t.Fatalf("latest of %s: %+v %v; want %+v %v", p, g, gok, w, wok)
			}
		}
	}
}
