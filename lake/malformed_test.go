package lake_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// badSortingColumn rewrites a Parquet file's footer so that each row group
// says it is sorted by a column the file does not have: a malformed file, as
// another tool could leave, on which parquet-go indexes out of range.
func badSortingColumn(t *testing.T, data []byte) []byte {
	t.Helper()
	n := len(data)
	size := int(binary.LittleEndian.Uint32(data[n-8 : n-4]))
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[n-8-size:n-8], &md); err != nil {
		t.Fatal(err)
	}
	for i := range md.RowGroups {
		md.RowGroups[i].SortingColumns = append(md.RowGroups[i].SortingColumns, format.SortingColumn{ColumnIdx: 1000})
	}
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		t.Fatal(err)
	}
	out := append(bytes.Clone(data[:n-8-size]), footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...)
}

func TestStore_Snapshot_malformedDataFileIsAnErrorNotAPanic(t *testing.T) {
	s, name := sampleTable(t)
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, badSortingColumn(t, data), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Snapshot(ctx); releaselake.ClassOf(err) != releaselake.Internal {
		t.Errorf("Snapshot of a malformed data file: %v, want class Internal", err)
	}
	if _, err := serving.Load(ctx, s); releaselake.ClassOf(err) != releaselake.Internal {
		t.Errorf("Index of a malformed data file: %v, want class Internal", err)
	}
}

func TestStore_Snapshot_malformedCheckpointFallsBackToTheLog(t *testing.T) {
	s, fsys := newStore(t)
	commitHistory(t, s, 11, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	name := filepath.Join(fsys.Root(), "yellow/_delta_log/00000000000000000010.checkpoint.parquet")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, badSortingColumn(t, data), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := openStore(t, fsys) // nothing cached
	assertSnapshot(t, fresh, 10, versionRows(10))
}
