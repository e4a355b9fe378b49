package lake_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
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

func TestStore_Commit_crashLeftoversDoNotChangeWhatReadersSee(t *testing.T) {
	s, fsys := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	// A writer killed after its data file, and one killed inside Publish.
	writeFile(t, fsys, "yellow/part-00000-0000dead-c000.snappy.parquet", []byte("PAR1 half a file"))
	writeFile(t, fsys, "yellow/_delta_log/.00000000000000000001.json.tmp-123", []byte(`{"add":{"path":"part-00000-0000dead-c000.snappy.parquet"`))
	assertSnapshot(t, s, 0, sampleRows())
	mustCommit(t, s, 0, sampleRows()[:2], "run2")
	assertSnapshot(t, s, 1, sampleRows()[:2])
}

func TestStore_Head_incompleteNewestEntryIsNotCommitted(t *testing.T) {
	s, fsys := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	mustCommit(t, s, 0, sampleRows()[:2], "run2")
	entry := readAll(t, fsys, "yellow/_delta_log/00000000000000000001.json")

	// An HDFS writer shows its entry while writing it: every cut of v2 that
	// lacks the final commitInfo line must read as v1.
	for _, cut := range []int{1, len(entry) / 2, len(entry) - 2} {
		t.Run(fmt.Sprint("cut", cut), func(t *testing.T) {
			s, fsys := newStore(t)
			mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
			writeFile(t, fsys, "yellow/_delta_log/00000000000000000001.json", entry[:cut])
			assertSnapshot(t, s, 0, sampleRows())
			_, err := s.Commit(context.Background(), 0, nil, releaselake.CommitInfo{})
			if releaselake.ClassOf(err) != releaselake.Conflict {
				t.Errorf("Commit over a claimed entry: %v, want Conflict", err)
			}
		})
	}
}

func TestStore_Commit_publishFailureLeavesPreviousVersionAndNoOrphan(t *testing.T) {
	s, base := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	boom := errors.New("namenode unreachable")
	faulty := &laketest.FaultFS{FS: base, PublishFunc: func(context.Context, string, []byte) error { return boom }}
	fs2 := lake.Open(faulty)

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
	v, err := lake.Open(faulty).Commit(context.Background(), releaselake.NoVersion, sampleRows(), releaselake.CommitInfo{})
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
	_, err := lake.Open(faulty).Commit(context.Background(), 0, sampleRows(), releaselake.CommitInfo{})
	if err == nil {
		t.Fatal("Commit succeeded with a failing data file")
	}
	assertSnapshot(t, s, 0, sampleRows())
	if got := names(t, base, "yellow", ".parquet"); len(got) != 1 {
		t.Errorf("data files = %q, want the half-written one removed", got)
	}
	if got := names(t, base, "yellow/_delta_log", ""); len(got) != 1 {
		t.Errorf("log = %q, want only v0", got)
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
