package lake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// requireDeltaLake returns the python3 that can import deltalake and pyarrow. It
// skips the test when there is none, except under CI=true, where that fails.
func requireDeltaLake(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(py, "-c", "import deltalake, pyarrow").Run()
	}
	if err != nil {
		msg := "python3 with deltalake and pyarrow is needed (python3 -m pip install -r lake/testdata/requirements.txt): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return py
}

// deltaRead is what testdata/read_delta.py prints.
type deltaRead struct {
	Version  int64                       `json:"version"`
	Protocol []int                       `json:"protocol"`
	Schema   map[string][2]any           `json:"schema"`
	Rows     []map[string]any            `json:"rows"`
	RowsV0   int                         `json:"rows_v0"`
	History  []string                    `json:"history"`
	Files    map[string]fileRead         `json:"files"`
	At       map[string][]map[string]any `json:"at"`
}

type fileRead struct {
	Types       map[string]string `json:"types"`
	Nullable    map[string]bool   `json:"nullable"`
	Compression string            `json:"compression"`
}

func TestStore_Commit_readableByDeltaLake(t *testing.T) {
	py := requireDeltaLake(t)
	dir := t.TempDir()
	s := openStore(t, localfs.New(dir))
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	rows := sampleRows()[:3]
	rows[0].Name = "changed"
	mustCommit(t, s, 0, rows, "run2")

	got := readDelta(t, py, filepath.Join(dir, "yellow"))

	if got.Version != 1 || got.RowsV0 != 4 || !reflect.DeepEqual(got.Protocol, []int{1, 4}) {
		t.Errorf("version %d, rows at v0 %d, protocol %v; want 1, 4, [1 4]", got.Version, got.RowsV0, got.Protocol)
	}
	if !reflect.DeepEqual(got.History, []string{"INGEST", "INGEST"}) {
		t.Errorf("history = %q", got.History)
	}
	wantTypes := map[string]string{"product": "string", "published_at": "timestamp", "first_seen_at": "timestamp", "yanked": "boolean"}
	for col, typ := range wantTypes {
		if f := got.Schema[col]; f[0] != typ || f[1] != false {
			t.Errorf("Delta schema %s = %v, want %s not nullable", col, f, typ)
		}
	}
	if len(got.Schema) != releaselake.NumColumns {
		t.Errorf("Delta schema has %d columns, want %d", len(got.Schema), releaselake.NumColumns)
	}
	if len(got.Files) != 1 {
		t.Fatalf("live files = %d, want 1", len(got.Files))
	}
	for name, f := range got.Files {
		for _, col := range []string{"published_at", "first_seen_at"} {
			if f.Types[col] != "timestamp[us, tz=UTC]" || f.Nullable[col] {
				t.Errorf("%s: Parquet %s is %s nullable=%v, want timestamp[us, tz=UTC] required", name, col, f.Types[col], f.Nullable[col])
			}
		}
		if f.Compression != "SNAPPY" {
			t.Errorf("%s: compression %s", name, f.Compression)
		}
	}

	assertDeltaRows(t, "current", got.Rows, rows)
}

// readDelta runs testdata/read_delta.py on a table, reading versions too.
func readDelta(t *testing.T, py, table string, versions ...int64) deltaRead {
	t.Helper()
	args := []string{filepath.Join("testdata", "read_delta.py"), table}
	for _, v := range versions {
		args = append(args, strconv.FormatInt(v, 10))
	}
	cmd := exec.Command(py, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("read_delta.py: %v", err)
	}
	var got deltaRead
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber() // microseconds beyond 2^53 must compare exactly
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("read_delta.py output: %v\n%s", err, out)
	}
	return got
}

// assertDeltaRows compares rows read by delta-rs (sorted by product, tag)
// with the releases they should be, column by column and type by type.
func assertDeltaRows(t *testing.T, what string, got []map[string]any, rows []releaselake.Release) {
	t.Helper()
	want := normalized(rows)
	if len(got) != len(want) {
		t.Fatalf("%s: deltalake read %d rows, want %d", what, len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		exp := deltaRow(w)
		if _, ok := g["notes"]; !ok && w.Notes == "" { // absent from versions before the column
			delete(exp, "notes")
		}
		if !reflect.DeepEqual(g, exp) {
			t.Errorf("%s row %d:\n got  %v\n want %v", what, i, g, exp)
		}
	}
}

// deltaRow is a release as delta-rs gives it in a readDelta or readCDF row.
func deltaRow(w releaselake.Release) map[string]any {
	return map[string]any{
		"product": w.Product, "tag": w.Tag, "version": w.Version, "name": w.Name, "url": w.URL,
		"source": w.Source, "repo": w.Repo, "date_source": w.DateSource,
		"published_at":  json.Number(strconv.FormatInt(w.PublishedAt.UnixMicro(), 10)),
		"first_seen_at": json.Number(strconv.FormatInt(w.FirstSeenAt.UnixMicro(), 10)),
		"prerelease":    w.Prerelease, "yanked": w.Yanked, "notes": w.Notes,
	}
}

// delta-rs reads what our reader reads: the newest version through
// _last_checkpoint after the 10th commit, older versions (time travel), a
// repair entry, and the table with the log entries before the checkpoint
// removed, which only a reader of the checkpoint can.
func TestStore_checkpointsAndOldVersions_readableByDeltaLake(t *testing.T) {
	py := requireDeltaLake(t)
	dir := t.TempDir()
	fsys := localfs.New(dir)
	s := openStore(t, fsys)
	ctx := context.Background()
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	commitHistory(t, s, 11, start) // v0..v10, checkpoint at 10
	// v11 abandoned half-written, repaired by the commit of v12.
	writeFile(t, fsys, "yellow/_delta_log/00000000000000000011.json", []byte(`{"commitInfo":{"timest`))
	if v, err := s.Commit(ctx, 10, versionRows(12), releaselake.CommitInfo{RunID: "run12", Operation: "INGEST"}); err != nil || v != 12 {
		t.Fatalf("commit over the abandoned v11 = v%d, %v", v, err)
	}

	got := readDelta(t, py, filepath.Join(dir, "yellow"), 0, 5, 10, 11)
	if got.Version != 12 {
		t.Errorf("deltalake version = %d, want 12", got.Version)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertDeltaRows(t, "v12", got.Rows, snap.Releases)
	for _, v := range []int64{0, 5, 10, 11} {
		ours, err := s.SnapshotAt(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		assertDeltaRows(t, fmt.Sprint("v", v), got.At[fmt.Sprint(v)], ours.Releases)
	}
	if n := len(got.History); n != 13 || got.History[0] != "INGEST" || got.History[1] != "REPAIR" {
		t.Errorf("history (newest first) = %q, want 13 versions with v11 a REPAIR", got.History)
	}

	// Only the checkpoint can tell delta-rs about versions 0..10 now.
	for v := range 10 {
		os.Remove(filepath.Join(dir, "yellow", "_delta_log", fmt.Sprintf("%020d.json", v)))
	}
	got = readDelta(t, py, filepath.Join(dir, "yellow"), 10)
	assertDeltaRows(t, "v12 from the checkpoint", got.Rows, snap.Releases)
	assertDeltaRows(t, "v10 from the checkpoint", got.At["10"], versionRows(10))
}
