package ingest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

func TestMerge_keepsFirstSeenAtAndUncrawledProducts(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 2, 1, 12, 0, 0, 123456789, time.UTC)
	old := []releaselake.Release{
		{Product: "a", Tag: "v1", Version: "1", PublishedAt: t0, FirstSeenAt: t0},
		{Product: "a", Tag: "v2", Version: "2", PublishedAt: t0, FirstSeenAt: t0},
		{Product: "a", Tag: "v3", Version: "3", PublishedAt: t0, FirstSeenAt: t0},
		{Product: "b", Tag: "v1", Version: "1", PublishedAt: t0, FirstSeenAt: t0}, // b failed this run
	}
	crawled := map[string][]releaselake.Release{"a": {
		{Product: "a", Tag: "v1", Version: "1", PublishedAt: t0},                   // unchanged
		{Product: "a", Tag: "v2", Version: "2", PublishedAt: t0, Prerelease: true}, // edited
		{Product: "a", Tag: "v4", Version: "4", PublishedAt: now},                  // new
		{Product: "a", Tag: "v4", Version: "4", PublishedAt: now},                  // duplicate: first wins
		// v3 deleted upstream
	}}
	rows, d := Merge(old, crawled, now)
	if d != (Diff{Added: 1, Changed: 1, Removed: 1}) {
		t.Fatalf("diff %+v", d)
	}
	got := map[releaselake.ReleaseKey]releaselake.Release{}
	for _, r := range rows {
		got[r.Key()] = r
	}
	if len(rows) != 4 || len(got) != 4 {
		t.Fatalf("rows %+v", rows)
	}
	if r := got[releaselake.ReleaseKey{Product: "b", Tag: "v1"}]; !r.FirstSeenAt.Equal(t0) {
		t.Errorf("uncrawled product's row lost or changed: %+v", r)
	}
	if r := got[releaselake.ReleaseKey{Product: "a", Tag: "v2"}]; !r.FirstSeenAt.Equal(t0) || !r.Prerelease {
		t.Errorf("edited row: %+v", r)
	}
	if r := got[releaselake.ReleaseKey{Product: "a", Tag: "v4"}]; !r.FirstSeenAt.Equal(now.Truncate(time.Microsecond)) {
		t.Errorf("new row firstSeenAt %v", r.FirstSeenAt)
	}
	if _, ok := got[releaselake.ReleaseKey{Product: "a", Tag: "v3"}]; ok {
		t.Error("deleted release still in the state")
	}
	if _, d := Merge(rows, map[string][]releaselake.Release{"a": crawled["a"][:3]}, now.Add(time.Hour)); d != (Diff{}) {
		t.Errorf("same crawl again: diff %+v, want none", d)
	}
}

// Rows a source filed under another product's key are merged by their own
// (product, tag), as before the per-product merge.
func TestMerge_rowsFiledUnderAnotherKey(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)
	old := []releaselake.Release{
		{Product: "a", Tag: "v1", PublishedAt: t0, FirstSeenAt: t0},
		{Product: "b", Tag: "v1", PublishedAt: t0, FirstSeenAt: t0},
	}
	crawled := map[string][]releaselake.Release{
		"a": {{Product: "b", Tag: "v1", PublishedAt: t0}, {Product: "a", Tag: "v2", PublishedAt: t0}},
		"b": {{Product: "b", Tag: "v1", PublishedAt: t0}},
	}
	rows, d := Merge(old, crawled, now)
	if d != (Diff{Added: 1, Removed: 1}) || len(rows) != 2 {
		t.Fatalf("diff %+v, rows %+v", d, rows)
	}
	for _, r := range rows {
		if r.Product == "b" && !r.FirstSeenAt.Equal(t0) {
			t.Errorf("b v1 lost its firstSeenAt: %+v", r)
		}
	}
}

// Every column but firstSeenAt counts as a change, notes included; a
// publishedAt in another zone is the same instant.
func TestMerge_everyColumnButFirstSeenAtIsAChange(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	base := releaselake.Release{Product: "a", Tag: "v1", Version: "1", Name: "one", URL: "https://example.com/u", Source: "s", Repo: "r",
		DateSource: "d", PublishedAt: t0, FirstSeenAt: t0, Notes: "n"}
	edits := map[string]func(r *releaselake.Release){
		"version": func(r *releaselake.Release) { r.Version = "1.0" },
		"notes":   func(r *releaselake.Release) { r.Notes = "n2" },
		"url":     func(r *releaselake.Release) { r.URL = "https://example.com/u2" },
		"time":    func(r *releaselake.Release) { r.PublishedAt = t0.Add(time.Second) },
		"yanked":  func(r *releaselake.Release) { r.Yanked = true },
	}
	for name, edit := range edits {
		r := base
		edit(&r)
		if _, d := Merge([]releaselake.Release{base}, map[string][]releaselake.Release{"a": {r}}, t0); d.Changed != 1 {
			t.Errorf("%s edited: diff %+v, want one change", name, d)
		}
	}
	same := base
	same.FirstSeenAt, same.PublishedAt = t0.Add(time.Hour), t0.In(time.FixedZone("x", 3600))
	if _, d := Merge([]releaselake.Release{base}, map[string][]releaselake.Release{"a": {same}}, t0); d != (Diff{}) {
		t.Errorf("unchanged row: diff %+v", d)
	}
}

func TestMerge_dropsURLsThatAreNotHTTP(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	row := func(tag, url string) releaselake.Release {
		return releaselake.Release{Product: "a", Tag: tag, Version: tag, URL: url, PublishedAt: t0}
	}
	crawled := map[string][]releaselake.Release{"a": {
		row("1", "javascript:alert(1)"), row("2", " DATA:text/html,<script>alert(1)</script>"),
		row("3", "vbscript:msgbox(1)"), row("4", "https://user:PASS@mirror.example/a/4/"), row("5", "https://example.com/5"),
	}}
	run := releaselake.Run{Products: []releaselake.RunProduct{{Product: "a"}, {Product: "b"}}}
	if n := NoteUnsafeURLs(&run, crawled); n != 3 {
		t.Errorf("NoteUnsafeURLs = %d, want 3", n)
	}
	if w := run.Products[0].Warnings; len(w) != 1 || !strings.Contains(w[0], "3 release URLs dropped") || len(run.Products[1].Warnings) != 0 {
		t.Errorf("warnings %+v", run.Products)
	}
	for _, old := range [][]releaselake.Release{nil, {row("9", "javascript:x")}} {
		for _, merge := range []func() []releaselake.Release{
			func() []releaselake.Release { rows, _ := Merge(old, crawled, t0); return rows },
			func() []releaselake.Release { rows, _ := mergeAny(old, crawled, t0); return rows },
		} {
			want := map[string]string{"1": "", "2": "", "3": "", "4": "https://mirror.example/a/4/", "5": "https://example.com/5"}
			for _, r := range merge() {
				if r.URL != want[r.Tag] {
					t.Errorf("%s: URL %q, want %q", r.Tag, r.URL, want[r.Tag])
				}
			}
		}
	}
}

// Compare counts the same whether each product's rows lie together (compared
// product by product) or not (one map of them all): added, changed
// (firstSeenAt too), removed, and a product that is gone or new altogether.
func TestCompare_productByProductAsAll(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	row := func(p, tag string) releaselake.Release {
		return releaselake.Release{Product: p, Tag: tag, PublishedAt: t0, FirstSeenAt: t0}
	}
	old := []releaselake.Release{row("a", "1"), row("a", "2"), row("a", "3"), row("b", "1"), row("c", "1"), row("c", "2")}
	renamed := row("a", "2")
	renamed.Name = "two"
	seen := row("c", "1")
	seen.FirstSeenAt = t0.Add(time.Hour)
	rows := []releaselake.Release{row("a", "1"), renamed, row("a", "4"), seen, row("c", "2"), row("c", "3"), row("d", "1")}
	want := Diff{Added: 3, Changed: 2, Removed: 2} // a/4 c/3 d/1; a/2 c/1; a/3 b/1
	if d := Compare(old, rows); d != want {
		t.Errorf("products together: %+v, want %+v", d, want)
	}
	// The same rows with a product's rows apart.
	apart := append([]releaselake.Release{rows[3]}, append(rows[:3:3], rows[4:]...)...)
	apart[0], apart[1] = apart[1], apart[0]
	if _, together := productSpans(apart); together {
		t.Fatalf("rows %v: want a product's rows apart", apart)
	}
	if d := Compare(old, apart); d != want {
		t.Errorf("products apart: %+v, want %+v", d, want)
	}
	if d := Compare(rows, rows); d != (Diff{}) {
		t.Errorf("rows with themselves: %+v", d)
	}
}

// A product whose old rows lie apart (old is in no promised order) is merged
// with all of them, and old is left as it was.
func TestMerge_oldRowsOfAProductApart(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)
	old := []releaselake.Release{
		{Product: "a", Tag: "1", FirstSeenAt: t0}, {Product: "b", Tag: "1", FirstSeenAt: t0},
		{Product: "a", Tag: "2", FirstSeenAt: t0}, {Product: "c", Tag: "1", FirstSeenAt: t0},
	}
	was := slices.Clone(old)
	crawled := map[string][]releaselake.Release{"a": {{Product: "a", Tag: "1"}, {Product: "a", Tag: "2"}, {Product: "a", Tag: "3"}}}
	rows, d := Merge(old, crawled, now)
	if d != (Diff{Added: 1}) {
		t.Errorf("diff %+v, want one added", d)
	}
	if !slices.Equal(old, was) {
		t.Errorf("old changed: %+v", old)
	}
	want := map[string]time.Time{"a/1": t0, "a/2": t0, "a/3": now, "b/1": t0, "c/1": t0}
	for _, r := range rows {
		if at, ok := want[r.Product+"/"+r.Tag]; !ok || !r.FirstSeenAt.Equal(at) {
			t.Errorf("row %s/%s first seen %v", r.Product, r.Tag, r.FirstSeenAt)
		}
		delete(want, r.Product+"/"+r.Tag)
	}
	if len(want) != 0 {
		t.Errorf("rows lost: %v", want)
	}
}
