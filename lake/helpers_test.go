package lake_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

var (
	clockTime = time.Date(2026, 11, 25, 0, 0, 7, 123456789, time.UTC)
	tokyo     = time.FixedZone("JST", 9*3600)
)

// newStore returns a Store over a fresh local lake, with a fixed clock.
func newStore(t *testing.T) (*lake.Store, *localfs.FS) {
	t.Helper()
	fsys := localfs.New(t.TempDir())
	return openStore(t, fsys, lake.WithClock(func() time.Time { return clockTime })), fsys
}

// openStore opens a Store that logs to the test's output and backs off for
// milliseconds only before redoing a failed write.
func openStore(t *testing.T, fsys lake.FS, opts ...lake.Option) *lake.Store {
	t.Helper()
	opts = append([]lake.Option{lake.WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil)))}, opts...)
	s := lake.Open(fsys, opts...)
	lake.SetRetryWait(s, time.Millisecond)
	return s
}

// sampleRows has times in other zones, below a microsecond, before the epoch
// and zero, to check they come back in UTC at microsecond precision.
func sampleRows() []releaselake.Release {
	return []releaselake.Release{
		{Product: "react", Tag: "v19.0.0", Version: "19.0.0", Name: "React 19", URL: "https://github.com/facebook/react/releases/tag/v19.0.0",
			Source: releaselake.SourceGitHubRelease, Repo: "facebook/react", DateSource: releaselake.DateReleasePublished,
			PublishedAt: time.Date(2024, 12, 5, 18, 4, 31, 0, time.UTC), FirstSeenAt: time.Date(2026, 11, 25, 9, 0, 0, 123456789, tokyo),
			Notes: "## What's new in React 19\n\n* Actions <script>alert(1)</script>\n"},
		{Product: "python", Tag: "v3.13.0rc2", Version: "3.13.0rc2", Name: "v3.13.0rc2", URL: "https://github.com/python/cpython/tree/v3.13.0rc2",
			Source: releaselake.SourceGitHubTag, Repo: "python/cpython", DateSource: releaselake.DateTagger,
			PublishedAt: time.Date(2024, 9, 6, 22, 3, 11, 999999000, tokyo), FirstSeenAt: clockTime, Prerelease: true},
		{Product: "pandas", Tag: "0.1", Version: "0.1", Name: "ünïcode 名前", URL: "",
			Source: releaselake.SourcePyPI, Repo: "pandas", DateSource: releaselake.DateUpload,
			PublishedAt: time.Date(1969, 12, 31, 23, 59, 59, 500, time.UTC), Yanked: true},
		{Product: "python", Tag: "v3.12.0", Version: "3.12.0", Name: "v3.12.0", URL: "https://github.com/python/cpython/tree/v3.12.0",
			Source: releaselake.SourceGitHubTag, Repo: "python/cpython", DateSource: releaselake.DateTagger,
			PublishedAt: time.Date(2023, 10, 2, 12, 0, 0, 0, time.UTC), FirstSeenAt: clockTime},
	}
}

// normalized is what a reader should get back for rows: UTC times truncated to
// the microsecond, sorted by (product, tag).
func normalized(rows []releaselake.Release) []releaselake.Release {
	out := slices.Clone(rows)
	for i := range out {
		out[i].PublishedAt = out[i].PublishedAt.Truncate(time.Microsecond).UTC()
		out[i].FirstSeenAt = out[i].FirstSeenAt.Truncate(time.Microsecond).UTC()
	}
	sortReleases(out)
	return out
}

func sortReleases(rs []releaselake.Release) {
	slices.SortFunc(rs, func(a, b releaselake.Release) int {
		return strings.Compare(a.Product+"\x00"+a.Tag, b.Product+"\x00"+b.Tag)
	})
}

// assertSnapshot checks that the lake reads at version want with rows.
func assertSnapshot(t *testing.T, s *lake.Store, want int64, rows []releaselake.Release) releaselake.Snapshot {
	t.Helper()
	ctx := context.Background()
	head, err := s.Head(ctx)
	if err != nil || head != want {
		t.Fatalf("Head = %d, %v; want %d", head, err, want)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if snap.Version != want {
		t.Errorf("Snapshot.Version = %d, want %d", snap.Version, want)
	}
	got := slices.Clone(snap.Releases)
	sortReleases(got)
	if exp := normalized(rows); (len(got) > 0 || len(exp) > 0) && !reflect.DeepEqual(got, exp) {
		t.Errorf("Snapshot rows:\n got  %+v\n want %+v", got, exp)
	}
	for _, r := range snap.Releases {
		if r.PublishedAt.Location() != time.UTC || r.FirstSeenAt.Location() != time.UTC {
			t.Errorf("row %s/%s: times not in UTC", r.Product, r.Tag)
		}
	}
	return snap
}

func mustCommit(t *testing.T, s *lake.Store, base int64, rows []releaselake.Release, runID string) int64 {
	t.Helper()
	v, err := s.Commit(context.Background(), base, rows, releaselake.CommitInfo{RunID: runID, Operation: "INGEST"})
	if err != nil {
		t.Fatalf("Commit on v%d: %v", base, err)
	}
	if v != base+1 {
		t.Fatalf("Commit on v%d returned v%d", base, v)
	}
	return v
}

// sampleTable commits sampleRows as version 0 of a fresh lake and returns the
// local path of its one data file.
func sampleTable(t *testing.T) (*lake.Store, string) {
	t.Helper()
	s, fsys := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	files := names(t, fsys, "yellow", ".parquet")
	if len(files) != 1 {
		t.Fatalf("data files = %q", files)
	}
	return s, filepath.Join(fsys.Root(), "yellow", files[0])
}

// names lists a lake directory, matching suffix.
func names(t *testing.T, fsys lake.FS, dir, suffix string) []string {
	t.Helper()
	infos, err := fsys.ReadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, fi := range infos {
		if strings.HasSuffix(fi.Name(), suffix) {
			out = append(out, fi.Name())
		}
	}
	return out
}

func readAll(t *testing.T, fsys lake.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, fsys lake.FS, name string, data []byte) {
	t.Helper()
	w, err := fsys.Create(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
