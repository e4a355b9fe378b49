package ingest

import (
	"reflect"
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
