package lake_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/laketest"
)

func TestStore_emptyLake_noVersionAndEmptySnapshot(t *testing.T) {
	s, _ := newStore(t)
	snap := assertSnapshot(t, s, releaselake.NoVersion, nil)
	if snap.Releases == nil || !snap.CommittedAt.IsZero() {
		t.Errorf("empty Snapshot = %+v; want empty non-nil Releases and zero CommittedAt", snap)
	}
}

func TestStore_Commit_rereadsSameRows(t *testing.T) {
	s, _ := newStore(t)
	at := time.Date(2026, 11, 25, 9, 0, 1, 987654321, tokyo)
	v, err := s.Commit(context.Background(), releaselake.NoVersion, sampleRows(),
		releaselake.CommitInfo{RunID: "20261125T000000Z-3f9a", Operation: "INGEST", At: at})
	if err != nil || v != 0 {
		t.Fatalf("Commit = %d, %v; want 0", v, err)
	}
	snap := assertSnapshot(t, s, 0, sampleRows())
	if want := at.Truncate(time.Millisecond).UTC(); !snap.CommittedAt.Equal(want) || snap.CommittedAt.Location() != time.UTC {
		t.Errorf("CommittedAt = %v, want %v (UTC)", snap.CommittedAt, want)
	}
}

func TestStore_Commit_secondCommitReplacesState(t *testing.T) {
	s, fsys := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")

	rows := sampleRows()[:3] // python v3.12.0 deleted upstream
	rows[0].Name = "React 19.0"
	rows[0].Yanked = true
	mustCommit(t, s, 0, rows, "run2")

	assertSnapshot(t, s, 1, rows)
	// The first version's file stays on disk for time travel.
	if got := names(t, fsys, "yellow", ".parquet"); len(got) != 2 {
		t.Errorf("data files = %q, want 2", got)
	}
}

func TestStore_Commit_emptyRowsRemovesEverything(t *testing.T) {
	s, _ := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	mustCommit(t, s, 0, nil, "run2")
	assertSnapshot(t, s, 1, nil)
}

func TestStore_Commit_conflictLeavesPreviousVersion(t *testing.T) {
	s, fsys := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")

	for _, base := range []int64{releaselake.NoVersion, 1, 7} {
		_, err := s.Commit(context.Background(), base, sampleRows()[:1], releaselake.CommitInfo{RunID: "run2"})
		if c := releaselake.ClassOf(err); c != releaselake.Conflict {
			t.Errorf("Commit on stale base v%d: class %s (%v), want Conflict", base, c, err)
		}
	}
	assertSnapshot(t, s, 0, sampleRows())
	if got := names(t, fsys, "yellow", ".parquet"); len(got) != 1 {
		t.Errorf("data files = %q, want only v0's", got)
	}
}

func TestStore_Commit_concurrentWritersExactlyOneWins(t *testing.T) {
	s, fsys := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run0")

	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := sampleRows()[:1]
			rows[0].Name = fmt.Sprint("writer ", i)
			_, errs[i] = s.Commit(context.Background(), 0, rows, releaselake.CommitInfo{RunID: fmt.Sprint("run", i)})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both committed v1", winner, i)
		case err == nil:
			winner = i
		case releaselake.ClassOf(err) != releaselake.Conflict:
			t.Errorf("writer %d: %v, want class Conflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("nobody committed v1")
	}
	rows := sampleRows()[:1]
	rows[0].Name = fmt.Sprint("writer ", winner)
	assertSnapshot(t, s, 1, rows)
	if got := names(t, fsys, "yellow", ".parquet"); len(got) != 2 {
		t.Errorf("data files = %q, want v0's and the winner's (losers clean up)", got)
	}
}

func TestStore_Head_incompleteNewestEntryIsNotCommitted_andIsRepaired(t *testing.T) {
	s, fsys := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	mustCommit(t, s, 0, sampleRows()[:2], "run2")
	entry := readAll(t, fsys, "yellow/_delta_log/00000000000000000001.json")

	// An HDFS writer shows its entry while writing it, and one that died leaves
	// it so: every cut of v1 that lacks the final commitInfo line reads as v0,
	// and the next commit replaces it with a repair entry and goes on at v2.
	for _, cut := range []int{0, 1, len(entry) / 2, len(entry) - 2} {
		t.Run(fmt.Sprint("cut", cut), func(t *testing.T) {
			s, fsys := newStore(t)
			mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
			writeFile(t, fsys, "yellow/_delta_log/00000000000000000001.json", entry[:cut])
			assertSnapshot(t, s, 0, sampleRows())
			v, err := s.Commit(context.Background(), 0, sampleRows()[1:], releaselake.CommitInfo{RunID: "run3"})
			if err != nil || v != 2 {
				t.Fatalf("Commit over an abandoned entry = v%d, %v; want v2", v, err)
			}
			assertSnapshot(t, s, 2, sampleRows()[1:])
			assertRepairEntry(t, fsys, 1)
			if snap, err := s.SnapshotAt(context.Background(), 1); err != nil || !sameRows(snap.Releases, sampleRows()) {
				t.Errorf("v1 (repair) = %v, %v; want v0's rows", snap.Releases, err)
			}
		})
	}
}

// assertRepairEntry checks that entry v is a repair entry: commitInfo only.
func assertRepairEntry(t *testing.T, fsys lake.FS, v int64) {
	t.Helper()
	lines := logLines(t, readAll(t, fsys, fmt.Sprintf("yellow/_delta_log/%020d.json", v)))
	if len(lines) != 1 || lines[0]["commitInfo"]["operation"] != "REPAIR" {
		t.Errorf("entry %d = %v, want a REPAIR commitInfo alone", v, lines)
	}
}

func sameRows(got, want []releaselake.Release) bool {
	g := slices.Clone(got)
	sortReleases(g)
	return reflect.DeepEqual(g, normalized(want))
}

func TestStore_Commit_waitsForAnEntryBeingWritten(t *testing.T) {
	ctx := context.Background()
	_, base := newStore(t)
	s := openStore(t, base)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	writeFile(t, base, "yellow/_delta_log/00000000000000000001.json", []byte(`{"add":`))

	// Not sealed: its writer may still finish it. Once it finishes, the commit
	// over it is a plain conflict.
	var asked atomic.Int32
	faulty := &laketest.FaultFS{FS: base, SealedFunc: func(ctx context.Context, name string) (bool, error) {
		if asked.Add(1) == 3 { // the writer completes its entry meanwhile
			entry := readAll(t, base, "yellow/_delta_log/00000000000000000000.json")
			os.WriteFile(filepath.Join(base.Root(), "yellow/_delta_log/00000000000000000001.json"), entry, 0o644)
		}
		return false, nil
	}}
	_, err := openStore(t, faulty).Commit(ctx, 0, sampleRows()[:1], releaselake.CommitInfo{})
	if releaselake.ClassOf(err) != releaselake.Conflict || asked.Load() < 3 {
		t.Fatalf("Commit = %v after %d looks; want Conflict once the other writer finished", err, asked.Load())
	}

	// Never sealed (its writer's lease never expires): Conflict after the wait.
	writeFile(t, base, "yellow/_delta_log/00000000000000000002.json", []byte(`{"add":`))
	faulty.SealedFunc = func(context.Context, string) (bool, error) { return false, nil }
	_, err = openStore(t, faulty, lake.WithRepairWait(300*time.Millisecond)).Commit(ctx, 1, nil, releaselake.CommitInfo{})
	if releaselake.ClassOf(err) != releaselake.Conflict || !strings.Contains(err.Error(), "has not finished") {
		t.Fatalf("Commit over an entry never sealed = %v, want Conflict saying so", err)
	}
	if got := names(t, base, "yellow", ".parquet"); len(got) != 1 {
		t.Errorf("data files = %q, want v0's only", got)
	}
}

func TestStore_Commit_concurrentRepairersAgree(t *testing.T) {
	s, fsys := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run0")
	writeFile(t, fsys, "yellow/_delta_log/00000000000000000001.json", []byte("{\"remove\":{"))
	const n = 8
	errs := make([]error, n)
	vs := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := sampleRows()[:1]
			rows[0].Name = fmt.Sprint("writer ", i)
			vs[i], errs[i] = s.Commit(context.Background(), 0, rows, releaselake.CommitInfo{RunID: fmt.Sprint("run", i)})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both committed", winner, i)
		case err == nil:
			winner = i
		case releaselake.ClassOf(err) != releaselake.Conflict:
			t.Errorf("writer %d: %v, want Conflict", i, err)
		}
	}
	if winner < 0 || vs[winner] != 2 {
		t.Fatalf("winner %d committed v%d, want one writer at v2", winner, vs[max(winner, 0)])
	}
	assertRepairEntry(t, fsys, 1)
	rows := sampleRows()[:1]
	rows[0].Name = fmt.Sprint("writer ", winner)
	assertSnapshot(t, s, 2, rows)
	if got := names(t, fsys, "yellow", ".parquet"); len(got) != 2 {
		t.Errorf("data files = %q, want v0's and the winner's", got)
	}
}

func TestStore_Commit_onTopOfRepairEntries(t *testing.T) {
	s, fsys := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	writeFile(t, fsys, "yellow/_delta_log/00000000000000000001.json", nil)
	if v, err := s.Commit(context.Background(), 0, sampleRows()[:3], releaselake.CommitInfo{}); err != nil || v != 2 {
		t.Fatalf("Commit = v%d, %v; want v2 after repairing v1", v, err)
	}
	// A writer that read v0 before the repair: only a repair entry lies between,
	// so its rows are still a complete state on top of the table.
	writeFile(t, fsys, "yellow/_delta_log/00000000000000000003.json", []byte("{"))
	if _, err := s.Commit(context.Background(), 0, nil, releaselake.CommitInfo{}); releaselake.ClassOf(err) != releaselake.Conflict {
		t.Errorf("Commit on v0 under a real commit v2: %v, want Conflict", err)
	}
	v, err := s.Commit(context.Background(), 2, sampleRows()[:1], releaselake.CommitInfo{})
	if err != nil || v != 4 {
		t.Fatalf("Commit on v2 with v3 abandoned = v%d, %v; want v4", v, err)
	}
	v, err = s.Commit(context.Background(), 3, sampleRows()[:2], releaselake.CommitInfo{})
	if releaselake.ClassOf(err) != releaselake.Conflict {
		t.Errorf("Commit on v3 (repair) under v4 = v%d, %v; want Conflict", v, err)
	}
	assertSnapshot(t, s, 4, sampleRows()[:1])
}

func TestStore_Commit_publishFailureLeavesPreviousVersionAndNoOrphan(t *testing.T) {
	s, base := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	boom := errors.New("namenode unreachable")
	faulty := &laketest.FaultFS{FS: base, PublishFunc: func(context.Context, string, []byte) error { return boom }}
	fs2 := openStore(t, faulty)

	_, err := fs2.Commit(context.Background(), 0, sampleRows()[:1], releaselake.CommitInfo{})
	if !errors.Is(err, boom) || releaselake.ClassOf(err) != releaselake.Unavailable {
		t.Fatalf("Commit = %v (class %s), want the FS error, Unavailable", err, releaselake.ClassOf(err))
	}
	assertSnapshot(t, s, 0, sampleRows())
	if got := names(t, base, "yellow", ".parquet"); len(got) != 1 {
		t.Errorf("data files = %q, want the failed commit's removed", got)
	}
}

func TestStore_Commit_publishedThenFailedCountsAsCommitted(t *testing.T) {
	s, base := newStore(t)
	faulty := &laketest.FaultFS{FS: base, PublishFunc: func(ctx context.Context, name string, data []byte) error {
		if err := base.Publish(ctx, name, data); err != nil {
			return err
		}
		return errors.New("sync directory: input/output error")
	}}
	v, err := openStore(t, faulty).Commit(context.Background(), releaselake.NoVersion, sampleRows(), releaselake.CommitInfo{})
	if err != nil || v != 0 {
		t.Fatalf("Commit = %d, %v; want 0, nil (the entry is there)", v, err)
	}
	assertSnapshot(t, s, 0, sampleRows())
}

func TestStore_Commit_dataFileFailureLeavesNothing(t *testing.T) {
	s, base := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	faulty := &laketest.FaultFS{FS: base, CreateFunc: func(ctx context.Context, name string) (lake.Writer, error) {
		w, err := base.Create(ctx, name)
		return failingWriter{w}, err
	}}
	changed := sampleRows()
	changed[0].Name += " (renamed)"
	_, err := openStore(t, faulty).Commit(context.Background(), 0, changed, releaselake.CommitInfo{})
	if err == nil || !strings.Contains(err.Error(), "7 attempts") {
		t.Fatalf("Commit with every data file write failing = %v, want an error after 7 attempts", err)
	}
	assertSnapshot(t, s, 0, sampleRows())
	if got := names(t, base, "yellow", ".parquet"); len(got) != 1 {
		t.Errorf("data files = %q, want the half-written one removed", got)
	}
	if got := names(t, base, "yellow/_staging", ""); len(got) != 0 {
		t.Errorf("staging holds %q, want nothing", got)
	}
	if got := names(t, base, "yellow/_delta_log", ""); len(got) != 1 {
		t.Errorf("log = %q, want only v0", got)
	}
}

// A write that fails (on HDFS: through a DataNode that died) is redone into a
// new file, and the commit goes through.
func TestStore_Commit_failedDataFileWriteIsRedoneInANewFile(t *testing.T) {
	s, base := newStore(t)
	var created []string
	faulty := &laketest.FaultFS{FS: base, CreateFunc: func(ctx context.Context, name string) (lake.Writer, error) {
		created = append(created, name)
		w, err := base.Create(ctx, name)
		if len(created) <= 2 {
			return failingWriter{w}, err
		}
		return w, err
	}}
	v, err := openStore(t, faulty).Commit(context.Background(), releaselake.NoVersion, sampleRows(), releaselake.CommitInfo{})
	if err != nil || v != 0 {
		t.Fatalf("Commit = v%d, %v", v, err)
	}
	assertSnapshot(t, s, 0, sampleRows())
	if len(created) != 3 || created[0] == created[1] || created[1] == created[2] ||
		!strings.HasPrefix(created[0], "yellow/_staging/part-") {
		t.Errorf("files created = %q, want three distinct staged names", created)
	}
	if got := names(t, base, "yellow", ".parquet"); len(got) != 1 || got[0] != path.Base(created[2]) {
		t.Errorf("data files = %q, want only the third attempt", got)
	}
	if got := names(t, base, "yellow/_staging", ""); len(got) != 0 {
		t.Errorf("staging holds %q", got)
	}
}

type failingWriter struct{ lake.Writer }

func (w failingWriter) Write(p []byte) (int, error) {
	w.Writer.Write(p[:len(p)/2])
	return len(p) / 2, fs.ErrClosed
}

func TestStore_Commit_rejectsInvalidRows(t *testing.T) {
	s, _ := newStore(t)
	dup := append(sampleRows(), sampleRows()[1])
	noTag := sampleRows()
	noTag[2].Tag = ""
	for name, rows := range map[string][]releaselake.Release{"duplicate": dup, "no tag": noTag} {
		_, err := s.Commit(context.Background(), releaselake.NoVersion, rows, releaselake.CommitInfo{})
		if releaselake.ClassOf(err) != releaselake.Invalid {
			t.Errorf("%s: %v, want class Invalid", name, err)
		}
	}
	assertSnapshot(t, s, releaselake.NoVersion, nil)
}

// A writer whose own log entry write failed half-way (on HDFS: the DataNode
// died) cannot tell whether the claimed entry will yet complete when the
// NameNode recovers it. If it gives up waiting, it keeps the data file the
// entry names: when the entry completes, the version it commits is readable.
func TestStore_Commit_ownUnfinishedEntryKeepsItsDataFile(t *testing.T) {
	ctx := context.Background()
	s, base := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	var full []byte
	faulty := &laketest.FaultFS{FS: base,
		PublishFunc: func(ctx context.Context, name string, data []byte) error {
			full = data
			writeFile(t, base, name, data[:len(data)/2]) // claimed, then the write failed
			return errors.New("write failed: ERROR ()")
		},
		SealedFunc: func(context.Context, string) (bool, error) { return false, nil }, // the lease is not recovered yet
	}
	_, err := openStore(t, faulty, lake.WithRepairWait(50*time.Millisecond)).Commit(ctx, 0, sampleRows()[:2], releaselake.CommitInfo{})
	if err == nil {
		t.Fatal("Commit succeeded with its entry half-written")
	}
	assertSnapshot(t, s, 0, sampleRows())
	// The NameNode recovers the lease with every byte: the entry is complete.
	if err := os.WriteFile(filepath.Join(base.Root(), "yellow/_delta_log/00000000000000000001.json"), full, 0o644); err != nil {
		t.Fatal(err)
	}
	assertSnapshot(t, openStore(t, base), 1, sampleRows()[:2])
}
