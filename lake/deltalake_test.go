package lake_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
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
	Version  int64               `json:"version"`
	Protocol []int               `json:"protocol"`
	Schema   map[string][2]any   `json:"schema"`
	Rows     []map[string]any    `json:"rows"`
	RowsV0   int                 `json:"rows_v0"`
	History  []string            `json:"history"`
	Files    map[string]fileRead `json:"files"`
}

type fileRead struct {
	Types       map[string]string `json:"types"`
	Nullable    map[string]bool   `json:"nullable"`
	Compression string            `json:"compression"`
}

func TestStore_Commit_readableByDeltaLake(t *testing.T) {
	py := requireDeltaLake(t)
	dir := t.TempDir()
	s := lake.Open(localfs.New(dir))
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	rows := sampleRows()[:3]
	rows[0].Name = "changed"
	mustCommit(t, s, 0, rows, "run2")

	cmd := exec.Command(py, filepath.Join("testdata", "read_delta.py"), filepath.Join(dir, "yellow"))
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

	if got.Version != 1 || got.RowsV0 != 4 || !reflect.DeepEqual(got.Protocol, []int{1, 2}) {
		t.Errorf("version %d, rows at v0 %d, protocol %v; want 1, 4, [1 2]", got.Version, got.RowsV0, got.Protocol)
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
	if len(got.Schema) != 12 {
		t.Errorf("Delta schema has %d columns, want 12", len(got.Schema))
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

	want := normalized(rows)
	if len(got.Rows) != len(want) {
		t.Fatalf("deltalake read %d rows, want %d", len(got.Rows), len(want))
	}
	for i, w := range want {
		g := got.Rows[i]
		exp := map[string]any{
			"product": w.Product, "tag": w.Tag, "version": w.Version, "name": w.Name, "url": w.URL,
			"source": w.Source, "repo": w.Repo, "date_source": w.DateSource,
			"published_at":  json.Number(strconv.FormatInt(w.PublishedAt.UnixMicro(), 10)),
			"first_seen_at": json.Number(strconv.FormatInt(w.FirstSeenAt.UnixMicro(), 10)),
			"prerelease":    w.Prerelease, "yanked": w.Yanked,
		}
		if !reflect.DeepEqual(g, exp) {
			t.Errorf("row %d:\n got  %v\n want %v", i, g, exp)
		}
	}
}
