package ingest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

// Packed rows unpack to exactly the rows packed (== on every field, times
// included), whichever way each string packed: written out, empty, repeating
// the row before, or a suffix of the tag.
func TestPack_unpacksTheRowsPacked(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 678000, time.UTC)
	rows := []releaselake.Release{
		{Product: "a", Tag: "v1.0.0", Version: "1.0.0", Name: "v1.0.0", URL: "https://example.com/a/v1.0.0",
			Source: releaselake.SourceGitHubRelease, Repo: "o/a", DateSource: releaselake.DateReleasePublished,
			PublishedAt: t0, FirstSeenAt: t0.Add(time.Hour), Prerelease: true, Notes: "## notes\n\n* é"},
		{Product: "a", Tag: "v1.1.0", Version: "1.1.0", Name: "Release 1.1", URL: "https://example.com/a/v1.1.0",
			Source: releaselake.SourceGitHubRelease, Repo: "o/a", DateSource: releaselake.DateReleasePublished,
			PublishedAt: t0.Add(-48 * time.Hour), FirstSeenAt: t0.Add(time.Hour), Yanked: true},
		{Product: "a", Tag: "1.1.0", Version: "1.1.0", Name: "", Source: releaselake.SourceGitHubRelease, Repo: "o/a"}, // zero times
		{Product: "a", Tag: "x", Version: "1.1.0", Name: "x", Notes: "x", Prerelease: true, Yanked: true},
	}
	want := append([]releaselake.Release(nil), rows...)
	p := pack(rows)
	if p.rows != nil {
		t.Fatal("UTC microsecond times were not packed")
	}
	got := p.appendTo(nil)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("unpacked\n%+v\nwant\n%+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("row %d: %+v != %+v", i, got[i], want[i])
		}
	}
	// Appended after other rows, as Rebuild assembles its result.
	other := releaselake.Release{Product: "0", Tag: "t"}
	if got := p.appendTo([]releaselake.Release{other}); len(got) != 1+len(want) || got[0] != other || !reflect.DeepEqual(got[1:], want) {
		t.Errorf("appended to one row: %+v", got)
	}
	if got := (packed{}).appendTo(nil); len(got) != 0 {
		t.Errorf("no rows unpacked to %+v", got)
	}
}

// Rows with a time that is not UTC to the microsecond stay as they are.
func TestPack_keepsOtherTimesAsTheyAre(t *testing.T) {
	for name, at := range map[string]time.Time{
		"nanoseconds": time.Date(2026, 1, 2, 3, 4, 5, 1, time.UTC),
		"offset":      time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)),
	} {
		rows := []releaselake.Release{{Product: "a", Tag: "v1"}, {Product: "a", Tag: "v2", PublishedAt: at}}
		p := pack(rows)
		if got := p.appendTo(nil); p.rows == nil || !reflect.DeepEqual(got, rows) || got[1].PublishedAt != at {
			t.Errorf("%s: unpacked %+v, want %+v", name, got, rows)
		}
	}
}

// Rebuilt.Compare counts as Compare does with the unpacked rows, whether old
// holds each product's rows together or not; Rows gives them in product
// order and leaves nothing packed.
func TestRebuilt_compareAsTheRows(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	row := func(p, tag string) releaselake.Release {
		return releaselake.Release{Product: p, Tag: tag, PublishedAt: t0, FirstSeenAt: t0}
	}
	renamed := row("a", "2")
	renamed.Name = "two"
	r := &Rebuilt{state: map[string]packed{
		"c": pack([]releaselake.Release{row("c", "1")}),
		"a": pack([]releaselake.Release{row("a", "1"), renamed, row("a", "4")}),
		"e": pack(nil), // parsed to no rows: its old ones are removed
	}}
	together := []releaselake.Release{row("a", "1"), row("a", "2"), row("a", "3"), row("b", "1"), row("e", "1")}
	apart := []releaselake.Release{row("a", "1"), row("b", "1"), row("a", "2"), row("e", "1"), row("a", "3")}
	want := Diff{Added: 2, Changed: 1, Removed: 3} // a/4 c/1; a/2; a/3 b/1 e/1
	for name, old := range map[string][]releaselake.Release{"together": together, "apart": apart} {
		if d := r.Compare(old); d != want || d != Compare(old, r.rows(false)) {
			t.Errorf("%s: %+v, want %+v", name, d, want)
		}
	}
	if r.Len() != 4 {
		t.Errorf("Len %d, want 4", r.Len())
	}
	rows := r.Rows()
	var keys []string
	for _, x := range rows {
		keys = append(keys, x.Product+"/"+x.Tag)
	}
	if strings.Join(keys, " ") != "a/1 a/2 a/4 c/1" || rows[1] != renamed || len(r.state) != 0 {
		t.Errorf("Rows %v (%d packed left)", keys, len(r.state))
	}
}
