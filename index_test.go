package releaselake

import (
	"testing"
	"time"
)

func day(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }

func testIndex() *Index {
	return NewIndex(Snapshot{Version: 3, Releases: []Release{
		{Product: "a", Tag: "v1.9.3", Version: "1.9.3", PublishedAt: day(1)},
		{Product: "a", Tag: "v1.13.5", Version: "1.13.5", PublishedAt: day(2)},
		{Product: "a", Tag: "v2.0.0-rc.1", Version: "2.0.0-rc.1", PublishedAt: day(3), Prerelease: true},
		{Product: "a", Tag: "v1.12.9", Version: "1.12.9", PublishedAt: day(4)}, // a backport, newest by date
		{Product: "b", Tag: "1.0", Version: "1.0", PublishedAt: day(2)},
		{Product: "b", Tag: "2.0", Version: "2.0", PublishedAt: day(5), Yanked: true},
		{Product: "c", Tag: "0.1rc1", Version: "0.1rc1", PublishedAt: day(1), Prerelease: true},
	}})
}

func tags(rs []Release) []string {
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

func TestAfter_resumesPastCursorEvenWhenRowsChange(t *testing.T) {
	ix := testIndex()
	rows := ix.Releases(Filter{})
	for i := range rows {
		if got := After(rows, rows[i]); got != i+1 {
			t.Errorf("After(row %d) = %d", i, got)
		}
	}
	// The cursor row itself is gone (deleted upstream): resume at the next one.
	cur := rows[2]
	rest := append(append([]Release{}, rows[:2]...), rows[3:]...)
	if got := After(rest, cur); got != 2 {
		t.Errorf("After(deleted cursor) = %d, want 2", got)
	}
}
