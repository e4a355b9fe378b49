package lake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake/laketest"
	"github.com/releaselake/releaselake/lake/localfs"
)

// checkpointRow reads the columns of a checkpoint this test looks at.
type checkpointRow struct {
	Add *struct {
		Path       string  `parquet:"path"`
		Size       int64   `parquet:"size"`
		DataChange bool    `parquet:"dataChange"`
		Stats      *string `parquet:"stats,optional"`
	} `parquet:"add,optional"`
	Remove *struct {
		Path              string `parquet:"path"`
		DeletionTimestamp *int64 `parquet:"deletionTimestamp,optional"`
	} `parquet:"remove,optional"`
	MetaData *struct {
		ID           string `parquet:"id"`
		SchemaString string `parquet:"schemaString"`
	} `parquet:"metaData,optional"`
	Protocol *struct {
		MinReaderVersion int32 `parquet:"minReaderVersion"`
		MinWriterVersion int32 `parquet:"minWriterVersion"`
	} `parquet:"protocol,optional"`
}

func TestStore_Commit_checkpointsEveryTenVersions(t *testing.T) {
	s, fsys := newStore(t)
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	commitHistory(t, s, 12, start)

	cps := names(t, fsys, "yellow/_delta_log", ".checkpoint.parquet")
	if len(cps) != 1 || cps[0] != "00000000000000000010.checkpoint.parquet" {
		t.Fatalf("checkpoints = %q, want version 10's only", cps)
	}
	var last map[string]int64
	if err := json.Unmarshal(readAll(t, fsys, "yellow/_delta_log/_last_checkpoint"), &last); err != nil {
		t.Fatal(err)
	}
	if last["version"] != 10 || last["numOfAddFiles"] != 1 || last["size"] != 2+1+10 || last["sizeInBytes"] == 0 {
		t.Errorf("_last_checkpoint = %v; want version 10, 1 add, 13 actions (protocol, metaData, add, 10 removes)", last)
	}

	rows, err := parquet.Read[checkpointRow](bytesReaderAt(readAll(t, fsys, "yellow/_delta_log/"+cps[0])))
	if err != nil {
		t.Fatal(err)
	}
	var adds, removes, protocols, metas int
	for _, r := range rows {
		switch {
		case r.Add != nil:
			adds++
			if r.Add.DataChange || r.Add.Stats == nil || r.Add.Size == 0 {
				t.Errorf("checkpoint add = %+v", r.Add)
			}
		case r.Remove != nil:
			removes++
			if r.Remove.DeletionTimestamp == nil {
				t.Errorf("checkpoint remove %s without deletionTimestamp", r.Remove.Path)
			}
		case r.Protocol != nil:
			protocols++
			if r.Protocol.MinReaderVersion != 1 || r.Protocol.MinWriterVersion != 4 {
				t.Errorf("checkpoint protocol = %+v", r.Protocol)
			}
		case r.MetaData != nil:
			metas++
		}
	}
	if adds != 1 || removes != 10 || protocols != 1 || metas != 1 {
		t.Errorf("checkpoint holds %d adds, %d removes, %d protocol, %d metaData", adds, removes, protocols, metas)
	}
}

// Readers start at the checkpoint: with the entries before it gone (as after
// Delta's log cleanup) the newer versions still read the same.
func TestStore_Snapshot_readsFromCheckpoint(t *testing.T) {
	s, fsys := newStore(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	times := commitHistory(t, s, 12, start)
	for v := range 10 {
		if err := os.Remove(filepath.Join(fsys.Root(), fmt.Sprintf("yellow/_delta_log/%020d.json", v))); err != nil {
			t.Fatal(err)
		}
	}
	assertSnapshot(t, s, 11, versionRows(11))
	snap, err := s.SnapshotAt(ctx, 10)
	if err != nil || !sameRows(snap.Releases, versionRows(10)) || !snap.CommittedAt.Equal(times[10]) {
		t.Errorf("SnapshotAt(10) from the checkpoint = %d rows at %v, %v", len(snap.Releases), snap.CommittedAt, err)
	}
	if _, err := s.SnapshotAt(ctx, 9); releaselake.ClassOf(err) != releaselake.NotFound {
		t.Errorf("SnapshotAt(9) with its entries gone = %v, want NotFound", err)
	}
	if v, err := s.VersionAsOf(ctx, times[11]); v != 11 || err != nil {
		t.Errorf("VersionAsOf(t11) = %d, %v", v, err)
	}
	if _, err := s.VersionAsOf(ctx, times[5]); releaselake.ClassOf(err) != releaselake.NotFound {
		t.Errorf("VersionAsOf before the oldest entry = %v, want NotFound", err)
	}
	// And the next commit goes on from the checkpoint too.
	mustCommit(t, s, 11, versionRows(12), "run12")
	assertSnapshot(t, s, 12, versionRows(12))
}

func TestStore_Snapshot_unreadableCheckpointFallsBackToTheLog(t *testing.T) {
	s, fsys := newStore(t)
	commitHistory(t, s, 11, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	name := filepath.Join(fsys.Root(), "yellow/_delta_log/00000000000000000010.checkpoint.parquet")
	if err := os.WriteFile(name, []byte("PAR1 not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := openStore(t, fsys) // nothing cached
	assertSnapshot(t, fresh, 10, versionRows(10))
}

// A writer killed between its commit and its checkpoint leaves the
// checkpoint to the next commit.
func TestStore_Commit_writesAMissedCheckpoint(t *testing.T) {
	s, fsys := newStore(t)
	commitHistory(t, s, 11, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	for _, name := range []string{"00000000000000000010.checkpoint.parquet", "_last_checkpoint"} {
		if err := os.Remove(filepath.Join(fsys.Root(), "yellow/_delta_log", name)); err != nil {
			t.Fatal(err)
		}
	}
	mustCommit(t, s, 10, versionRows(11), "run11")
	if got := names(t, fsys, "yellow/_delta_log", ".checkpoint.parquet"); len(got) != 1 {
		t.Errorf("checkpoints = %q, want version 10's written again", got)
	}
	var last struct{ Version int64 }
	if err := json.Unmarshal(readAll(t, fsys, "yellow/_delta_log/_last_checkpoint"), &last); err != nil || last.Version != 10 {
		t.Errorf("_last_checkpoint = %+v, %v", last, err)
	}
}

type bytesReader []byte

func (b bytesReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, fmt.Errorf("EOF")
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, fmt.Errorf("EOF")
	}
	return n, nil
}

func bytesReaderAt(b []byte) (bytesReader, int64) { return bytesReader(b), int64(len(b)) }

// Two writers checkpointing at once never move _last_checkpoint back.
func TestStore_lastCheckpointNeverMovesBack(t *testing.T) {
	laketest.LastCheckpointNeverMovesBack(t, localfs.New(t.TempDir()))
}
