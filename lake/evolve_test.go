package lake_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
	"github.com/releaselake/releaselake/serving"
)

// A table written before the notes column: the first commit with it carries
// a metaData action with the new schema (same table id) and rewrites the
// table; the older version still reads, with empty notes; delta-rs reads both.
func TestStore_Commit_addsNotesColumnToAnOlderTable(t *testing.T) {
	dir := t.TempDir()
	fsys := localfs.New(dir)
	if err := lake.WriteLegacyTable(fsys, sampleRows(), clockTime); err != nil {
		t.Fatal(err)
	}
	withoutNotes := normalized(sampleRows())
	for i := range withoutNotes {
		withoutNotes[i].Notes = ""
	}
	s := openStore(t, fsys)
	ctx := context.Background()
	assertSnapshot := func(what string, v int64, want []releaselake.Release) {
		t.Helper()
		snap, err := s.SnapshotAt(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		got := normalized(snap.Releases)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
		}
		ix, err := serving.LoadAt(ctx, s, v)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ix.Rows() {
			if r := ix.Row(i); r.Notes != want[i].Notes && r.Tag == want[i].Tag {
				t.Errorf("%s: index row %d notes %q, want %q", what, i, r.Notes, want[i].Notes)
			}
		}
	}
	assertSnapshot("v0, written before notes", 0, withoutNotes)

	mustCommit(t, s, 0, sampleRows(), "run2")
	v1 := logLines(t, readAll(t, fsys, "yellow/_delta_log/00000000000000000001.json"))
	var md map[string]any
	for _, a := range v1 {
		if m, ok := a["metaData"]; ok {
			md = m
		}
	}
	if md == nil || md["id"] != "legacy" || !strings.Contains(md["schemaString"].(string), `"name":"notes","type":"string"`) {
		t.Fatalf("v1 metaData = %v; want the table's id and a schema with notes", md)
	}
	assertSnapshot("v1", 1, normalized(sampleRows()))
	assertSnapshot("v0 after v1", 0, withoutNotes)

	// A commit whose schema is unchanged carries no metaData.
	mustCommit(t, s, 1, sampleRows(), "run3")
	for _, a := range logLines(t, readAll(t, fsys, "yellow/_delta_log/00000000000000000002.json")) {
		if _, ok := a["metaData"]; ok {
			t.Errorf("v2 changes the metaData again: %v", a)
		}
	}

	t.Run("deltalake", func(t *testing.T) {
		py := requireDeltaLake(t)
		got := readDelta(t, py, filepath.Join(dir, "yellow"), 0, 1)
		if f := got.Schema["notes"]; f[0] != "string" || f[1] != false {
			t.Errorf("Delta schema notes = %v, want string not nullable", f)
		}
		assertDeltaRows(t, "v2", got.Rows, sampleRows())
		assertDeltaRows(t, "v1", got.At["1"], sampleRows())
		assertDeltaRows(t, "v0", got.At["0"], withoutNotes)
		if _, ok := got.At["0"][0]["notes"]; ok {
			t.Errorf("delta-rs reads a notes column at v0: %v", got.At["0"][0])
		}
	})
}
