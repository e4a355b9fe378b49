package lake_test

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake/localfs"
	"github.com/releaselake/releaselake/serving"
)

// history commits n versions, version i holding versionRows(i) and committed
// at start + i hours, and returns the commit times.
func commitHistory(t *testing.T, s interface {
	Commit(context.Context, int64, []releaselake.Release, releaselake.CommitInfo) (int64, error)
}, n int, start time.Time) []time.Time {
	t.Helper()
	var times []time.Time
	for i := range n {
		at := start.Add(time.Duration(i) * time.Hour)
		v, err := s.Commit(context.Background(), int64(i)-1, versionRows(i),
			releaselake.CommitInfo{RunID: fmt.Sprint("run", i), Operation: "INGEST", At: at})
		if err != nil || v != int64(i) {
			t.Fatalf("commit %d = v%d, %v", i, v, err)
		}
		times = append(times, at)
	}
	return times
}

// versionRows is what version i holds: react's releases 0..i, and python's
// v3.12.0 in even versions only (deleted and brought back upstream).
func versionRows(i int) []releaselake.Release {
	base := sampleRows()[0]
	var rows []releaselake.Release
	for j := 0; j <= i; j++ {
		r := base
		r.Tag, r.Version = fmt.Sprintf("v19.%d.0", j), fmt.Sprintf("19.%d.0", j)
		r.Name = fmt.Sprintf("React 19.%d (as of v%d)", j, i)
		r.PublishedAt = base.PublishedAt.Add(time.Duration(j) * 24 * time.Hour)
		rows = append(rows, r)
	}
	if i%2 == 0 {
		rows = append(rows, sampleRows()[3])
	}
	return rows
}

func TestStore_SnapshotAt_readsEveryCommittedVersion(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	times := commitHistory(t, s, 5, start)
	for i := range 5 {
		snap, err := s.SnapshotAt(ctx, int64(i))
		if err != nil {
			t.Fatalf("SnapshotAt(%d): %v", i, err)
		}
		if snap.Version != int64(i) || !snap.CommittedAt.Equal(times[i]) || !sameRows(snap.Releases, versionRows(i)) {
			t.Errorf("SnapshotAt(%d) = v%d at %v with %d rows; want v%d at %v with %d rows",
				i, snap.Version, snap.CommittedAt, len(snap.Releases), i, times[i], len(versionRows(i)))
		}
	}
	if snap, err := s.SnapshotAt(ctx, releaselake.NoVersion); err != nil || snap.Version != releaselake.NoVersion || len(snap.Releases) != 0 || snap.Releases == nil {
		t.Errorf("SnapshotAt(NoVersion) = %+v, %v; want the empty snapshot", snap, err)
	}
	if _, err := s.SnapshotAt(ctx, 5); releaselake.ClassOf(err) != releaselake.NotFound {
		t.Errorf("SnapshotAt(5) = %v, want NotFound", err)
	}
	if _, err := s.SnapshotAt(ctx, -2); releaselake.ClassOf(err) != releaselake.Invalid {
		t.Errorf("SnapshotAt(-2) = %v, want Invalid", err)
	}
}

// ReadColumnsAt gives what NewIndex of SnapshotAt gives, for every version, with
// the same errors: time travel reads the columns straight into an index.
func TestStore_IndexAt_isSnapshotAtIndexed(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	times := commitHistory(t, s, 4, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	for i := range 4 {
		got, err := serving.LoadAt(ctx, s, int64(i))
		if err != nil {
			t.Fatalf("ReadColumnsAt(%d): %v", i, err)
		}
		snap, err := s.SnapshotAt(ctx, int64(i))
		if err != nil {
			t.Fatal(err)
		}
		want := serving.NewIndex(snap)
		if got.Version != int64(i) || !got.CommittedAt.Equal(times[i]) || got.Rows() != want.Rows() || got.Rows() != len(versionRows(i)) {
			t.Fatalf("ReadColumnsAt(%d) = v%d at %v of %d rows; want v%d at %v of %d", i, got.Version, got.CommittedAt, got.Rows(), i, times[i], want.Rows())
		}
		for r := range got.Rows() {
			if g, w := got.Row(r), want.Row(r); g != w {
				t.Fatalf("ReadColumnsAt(%d) row %d: %+v; want %+v", i, r, g, w)
			}
		}
		if g, _ := got.Latest("react"); g.Tag != fmt.Sprintf("v19.%d.0", i) {
			t.Fatalf("ReadColumnsAt(%d): latest react %s", i, g.Tag)
		}
	}
	if ix, err := serving.LoadAt(ctx, s, releaselake.NoVersion); err != nil || ix.Version != releaselake.NoVersion || ix.Rows() != 0 {
		t.Errorf("ReadColumnsAt(NoVersion) = %v, %v; want an empty index", ix, err)
	}
	if _, err := serving.LoadAt(ctx, s, 4); releaselake.ClassOf(err) != releaselake.NotFound {
		t.Errorf("ReadColumnsAt(4) = %v, want NotFound", err)
	}
	if _, err := serving.LoadAt(ctx, s, -2); releaselake.ClassOf(err) != releaselake.Invalid {
		t.Errorf("ReadColumnsAt(-2) = %v, want Invalid", err)
	}
}

func TestStore_VersionAsOf_newestCommittedAtOrBefore(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if v, err := s.VersionAsOf(ctx, time.Now()); v != releaselake.NoVersion || err != nil {
		t.Errorf("empty lake: VersionAsOf = %d, %v; want NoVersion", v, err)
	}
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	times := commitHistory(t, s, 4, start)
	for _, tc := range []struct {
		at   time.Time
		want int64
	}{
		{start.Add(-time.Nanosecond), releaselake.NoVersion},
		{start, 0},
		{times[1].Add(-time.Millisecond), 0},
		{times[1], 1},
		{times[1].Add(999 * time.Microsecond), 1},
		{times[2].In(tokyo), 2},
		{times[3].Add(24 * time.Hour), 3},
	} {
		if v, err := s.VersionAsOf(ctx, tc.at); v != tc.want || err != nil {
			t.Errorf("VersionAsOf(%v) = %d, %v; want %d", tc.at, v, err, tc.want)
		}
	}
}

// A clock that went back makes a version stamped before the one below it; as
// in Delta, it counts as 1 ms after it, so versions stay in time order.
func TestStore_VersionAsOf_clockGoingBack(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	mustCommitAt(t, s, releaselake.NoVersion, versionRows(0), t0)
	mustCommitAt(t, s, 0, versionRows(1), t0.Add(-time.Hour))
	mustCommitAt(t, s, 1, versionRows(2), t0.Add(time.Hour))
	for _, tc := range []struct {
		at   time.Time
		want int64
	}{
		{t0.Add(-time.Hour), releaselake.NoVersion},
		{t0, 0},
		{t0.Add(time.Millisecond), 1},
		{t0.Add(time.Hour), 2},
	} {
		if v, err := s.VersionAsOf(ctx, tc.at); v != tc.want || err != nil {
			t.Errorf("VersionAsOf(%v) = %d, %v; want %d", tc.at, v, err, tc.want)
		}
	}
}

func mustCommitAt(t *testing.T, s interface {
	Commit(context.Context, int64, []releaselake.Release, releaselake.CommitInfo) (int64, error)
}, base int64, rows []releaselake.Release, at time.Time) {
	t.Helper()
	if v, err := s.Commit(context.Background(), base, rows, releaselake.CommitInfo{At: at}); err != nil || v != base+1 {
		t.Fatalf("commit on v%d = v%d, %v", base, v, err)
	}
}

// listCounter counts listings of the log.
type listCounter struct {
	*localfs.FS
	n atomic.Int64
}

func (c *listCounter) ReadDir(ctx context.Context, dir string) ([]fs.FileInfo, error) {
	if strings.HasSuffix(dir, "_delta_log") {
		c.n.Add(1)
	}
	return c.FS.ReadDir(ctx, dir)
}

// Many distinct asOf times list the log once; a version another process
// commits is found once a Head (serving's poll) has seen it.
func TestStore_VersionAsOf_listsTheLogOncePerHead(t *testing.T) {
	dir := t.TempDir()
	fsys := &listCounter{FS: localfs.New(dir)}
	s := openStore(t, fsys)
	other := openStore(t, localfs.New(dir))
	ctx := context.Background()
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	commitHistory(t, other, 3, start)
	for i := range 200 {
		if v, err := s.VersionAsOf(ctx, start.Add(time.Duration(i)*time.Minute)); err != nil || v != int64(min(i/60, 2)) {
			t.Fatalf("minute %d: v%d, %v", i, v, err)
		}
	}
	if n := fsys.n.Load(); n != 1 {
		t.Fatalf("200 asOf times listed the log %d times", n)
	}
	if _, err := other.Commit(ctx, 2, versionRows(3), releaselake.CommitInfo{RunID: "run3", Operation: "INGEST", At: start.Add(3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.VersionAsOf(ctx, start.Add(5*time.Hour)); v != 2 {
		t.Fatalf("before a Head saw v3: v%d", v)
	}
	if h, _ := s.Head(ctx); h != 3 {
		t.Fatalf("head %d", h)
	}
	if v, _ := s.VersionAsOf(ctx, start.Add(5*time.Hour)); v != 3 {
		t.Fatalf("after a Head saw v3: v%d", v)
	}
}
