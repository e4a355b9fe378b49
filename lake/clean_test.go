package lake_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
)

const (
	txnA = "0000dead-0000-4000-8000-000000000001"
	txnB = "0000dead-0000-4000-8000-000000000002"
)

func part(v int64, txn string) string {
	return fmt.Sprintf("part-%020d-%s-c000.snappy.parquet", v, txn)
}

// Leftovers of writers killed at every step of a commit change nothing a
// reader sees, and the next commit removes those whose commit can no longer
// happen, and only those.
func TestStore_Commit_removesLeftoversOfFailedCommits(t *testing.T) {
	s, fsys := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	leftovers := map[string]bool{ // name -> removed by the commit of v1
		"yellow/_staging/" + part(1, txnA):                     true,  // killed writing its data file
		"yellow/" + part(1, txnB):                              true,  // killed before publishing
		"yellow/_delta_log/.00000000000000000001.json.tmp-123": true,  // killed inside local Publish
		"yellow/" + part(2, txnA):                              false, // a writer of v2: may yet commit
		"yellow/_staging/" + part(2, txnB):                     false,
		"yellow/_delta_log/.00000000000000000002.json.tmp-456": false,
		"yellow/part-00000-0000dead-c000.snappy.parquet":       false, // not named by this lake: vacuum's
		"yellow/_delta_log/.00000000000000000010.checkpoint.x": false,
	}
	for name := range leftovers {
		writeFile(t, fsys, name, []byte("PAR1 half a file"))
	}
	assertSnapshot(t, s, 0, sampleRows())
	mustCommit(t, s, 0, sampleRows()[:2], "run2")
	assertSnapshot(t, s, 1, sampleRows()[:2])
	for name, removed := range leftovers {
		_, err := fsys.Stat(context.Background(), name)
		if gone := err != nil; gone != removed {
			t.Errorf("%s: removed = %v, want %v", name, gone, removed)
		}
	}
	if got := names(t, fsys, "yellow", ".parquet"); len(got) != 4 {
		t.Errorf("data files = %q, want v0's, v1's and the two undecided", got)
	}
}

// A data file named for a version whose next real commit is its own stays,
// even when the commit stepped over a repair entry.
func TestStore_Commit_keepsFilesCommittedAfterARepair(t *testing.T) {
	s, fsys := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	writeFile(t, fsys, "yellow/_delta_log/00000000000000000001.json", nil)
	if v, err := s.Commit(context.Background(), 0, sampleRows()[:1], releaselake.CommitInfo{}); err != nil || v != 2 {
		t.Fatalf("Commit = v%d, %v", v, err)
	}
	mustCommit(t, s, 2, sampleRows()[:2], "run3") // runs the cleaner again
	if _, err := s.SnapshotAt(context.Background(), 2); err != nil {
		t.Errorf("v2, whose data file is named for v1: %v", err)
	}
}

// vacuumStore is a lake with a movable clock whose versions 0..3 are
// committed a day apart; file modification times follow the clock.
func vacuumStore(t *testing.T) (*lake.Store, *fsWithTimes, *time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	_, base := newStore(t)
	fsys := &fsWithTimes{FS: base, root: base.Root(), now: &now}
	s := openStore(t, fsys, lake.WithClock(func() time.Time { return now }))
	for i := range 4 {
		mustCommitAt(t, s, int64(i)-1, versionRows(i), now)
		now = now.Add(24 * time.Hour)
	}
	return s, fsys, &now
}

func TestStore_Vacuum_removesOnlyWhatRetentionAllows(t *testing.T) {
	s, fsys, clock := vacuumStore(t)
	now := *clock
	ctx := context.Background()
	// Versions 0..3 were committed on Nov 1..4; v0's file left the table on
	// Nov 2, v1's on Nov 3, v2's on Nov 4. It is now Nov 5.
	data := names(t, fsys, "yellow", ".parquet")
	if len(data) != 4 {
		t.Fatalf("data files = %q", data)
	}
	// v1..v3 each wrote their change set, on Nov 2..4.
	changes := names(t, fsys, "yellow/_change_data", ".parquet")
	if len(changes) != 3 {
		t.Fatalf("change data files = %q", changes)
	}
	fsys.touch(t, "_runs/.run9.json.tmp-1", now.Add(-50*time.Hour))
	fsys.touch(t, "_runs/.run9.json.tmp-2", now.Add(-time.Hour))
	fsys.touch(t, "red/dt=2026-11-01/run=r1/.github.jsonl.tmp-x", now.Add(-50*time.Hour))
	fsys.touch(t, "_state/github/.react.json.tmp-y", now.Add(-50*time.Hour))
	fsys.touch(t, "yellow/part-00000-0000dead-c000.snappy.parquet", now.Add(-50*time.Hour)) // a stranger

	dry, err := s.Vacuum(ctx, 48*time.Hour, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"_runs/.run9.json.tmp-1",
		"_state/github/.react.json.tmp-y",
		"red/dt=2026-11-01/run=r1/.github.jsonl.tmp-x",
		"yellow/" + data[0],                 // left on Nov 2, before the cutoff of Nov 3
		"yellow/_change_data/" + changes[0], // v1's changes, committed on Nov 2
		"yellow/part-00000-0000dead-c000.snappy.parquet",
	}
	slices.Sort(want)
	if !slices.Equal(dry.Removed, want) || dry.Kept != 5 || dry.OldestReadable != 1 {
		t.Errorf("dry run = %+v\nwant removed %q, 5 kept (3 data, 2 change data files), oldest readable 1", dry, want)
	}
	if _, err := s.SnapshotAt(ctx, 0); err != nil {
		t.Errorf("a dry run removed something: v0: %v", err)
	}

	res, err := s.Vacuum(ctx, 48*time.Hour, false)
	if err != nil || !slices.Equal(res.Removed, dry.Removed) {
		t.Fatalf("Vacuum = %+v, %v; want what the dry run said", res, err)
	}
	for _, name := range want {
		if _, err := fsys.Stat(ctx, name); err == nil {
			t.Errorf("%s still there", name)
		}
	}
	if _, err := s.SnapshotAt(ctx, 0); releaselake.ClassOf(err) != releaselake.NotFound || !strings.Contains(err.Error(), "vacuum") {
		t.Errorf("SnapshotAt(0) after vacuum = %v, want NotFound saying vacuum removed it", err)
	}
	for v := int64(1); v <= 3; v++ {
		if snap, err := s.SnapshotAt(ctx, v); err != nil || !sameRows(snap.Releases, versionRows(int(v))) {
			t.Errorf("SnapshotAt(%d) after vacuum: %v", v, err)
		}
	}

	if _, err := s.Changes(ctx, 1, 3, 1000); releaselake.ClassOf(err) != releaselake.NotFound || !strings.Contains(err.Error(), "vacuum") {
		t.Errorf("Changes(1, 3) after vacuum = %v, want NotFound saying vacuum removed them", err)
	}
	if sets, err := s.Changes(ctx, 2, 3, 1000); err != nil || len(sets) != 2 {
		t.Errorf("Changes(2, 3) after vacuum = %v, %v; want two change sets", sets, err)
	}

	// With no retention only the head's files stay: not even its changes.
	res, err = s.Vacuum(ctx, 0, false)
	if err != nil || len(res.Removed) != 5 || res.OldestReadable != 3 || res.Kept != 1 {
		t.Errorf("Vacuum(0) = %+v, %v; want the files of v1 and v2, the change data files of v2 and v3 and the young temporary file removed", res, err)
	}
	assertSnapshot(t, s, 3, versionRows(3))
	if _, err := s.Vacuum(ctx, -time.Hour, true); releaselake.ClassOf(err) != releaselake.Invalid {
		t.Errorf("negative retention: %v", err)
	}
}

// Vacuum leaves alone what a writer may still commit, however old.
func TestStore_Vacuum_keepsUndecidedFiles(t *testing.T) {
	s, fsys, clock := vacuumStore(t)
	now := *clock
	fsys.touch(t, "yellow/_staging/"+part(4, txnA), now.Add(-30*24*time.Hour))
	fsys.touch(t, "yellow/"+part(4, txnB), now.Add(-30*24*time.Hour))
	fsys.touch(t, "yellow/_staging/"+part(3, txnA), now) // version 3 is decided: an orphan
	res, err := s.Vacuum(context.Background(), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range res.Removed {
		if strings.Contains(name, fmt.Sprintf("%020d", 4)) {
			t.Errorf("removed %s, which may still be committed as v4", name)
		}
	}
	if !slices.Contains(res.Removed, "yellow/_staging/"+part(3, txnA)) {
		t.Errorf("removed %q, want the orphan of v3", res.Removed)
	}
}

// With no retention a temporary file goes whatever its modification time: on
// HDFS the NameNode stamps an abandoned file with the time it recovers the dead
// writer's lease, which can be after the vacuum began (hdfs.TestStore_onHDFS_vacuum*).
func TestStore_Vacuum_noRetentionRemovesTemporaryFilesWhateverTheirTime(t *testing.T) {
	s, fsys, clock := vacuumStore(t)
	ctx := context.Background()
	later := clock.Add(time.Minute) // modified after the vacuum's "now"
	temps := []string{
		"_runs/.run9.json.tmp-1-0",
		"_state/github/.kafka.json.tmp-2-0",
		"red/dt=2026-11-05/run=r9/.github.jsonl.tmp-3-0",
		"yellow/.part-x.tmp",
		"yellow/_delta_log/.00000000000000000010.checkpoint.parquet.tmp-4-0",
	}
	for _, name := range temps {
		fsys.touch(t, name, later)
	}
	dry, err := s.Vacuum(ctx, time.Hour, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range temps {
		if slices.Contains(dry.Removed, name) {
			t.Errorf("Vacuum(1h) would remove %s, modified after its cutoff", name)
		}
	}
	res, err := s.Vacuum(ctx, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range temps {
		if !slices.Contains(res.Removed, name) {
			t.Errorf("Vacuum(0) removed %q, want %s among them", res.Removed, name)
		}
	}
}

func TestStore_Vacuum_emptyLake(t *testing.T) {
	s, _ := newStore(t)
	res, err := s.Vacuum(context.Background(), lake.DefaultRetention, false)
	if err != nil || len(res.Removed) != 0 || res.OldestReadable != releaselake.NoVersion {
		t.Errorf("Vacuum of an empty lake = %+v, %v", res, err)
	}
}

// fsWithTimes stamps files it creates with the test's clock, and can make
// files with a given modification time.
type fsWithTimes struct {
	lake.FS
	root string
	now  *time.Time
}

func (f *fsWithTimes) Create(ctx context.Context, name string) (lake.Writer, error) {
	w, err := f.FS.Create(ctx, name)
	if err != nil {
		return nil, err
	}
	return &stampWriter{Writer: w, path: filepath.Join(f.root, name), at: *f.now}, nil
}

func (f *fsWithTimes) Rename(ctx context.Context, oldname, newname string) error {
	return f.FS.Rename(ctx, oldname, newname)
}

func (f *fsWithTimes) touch(t *testing.T, name string, at time.Time) {
	t.Helper()
	p := filepath.Join(f.root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
}

type stampWriter struct {
	lake.Writer
	path string
	at   time.Time
}

func (w *stampWriter) Close() error {
	if err := w.Writer.Close(); err != nil {
		return err
	}
	return os.Chtimes(w.path, w.at, w.at)
}
