package lake_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// sampleAdvisories are the real advisories of the fake GitHub: Flask's two
// ranges of GHSA-m2qf-hxjv-5gpq and py's withdrawn GHSA-w596-4wvx-j9j6.
func sampleAdvisories() []releaselake.Advisory {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	flask := releaselake.Advisory{Product: "flask", GHSAID: "GHSA-m2qf-hxjv-5gpq",
		Summary:  "Flask vulnerable to possible disclosure of permanent session cookie due to missing Vary: Cookie header",
		Severity: "HIGH", PublishedAt: at("2023-05-01T19:22:20Z"), UpdatedAt: at("2023-05-01T19:22:20Z"),
		URL: "https://github.com/advisories/GHSA-m2qf-hxjv-5gpq", Ecosystem: "PIP", Package: "flask"}
	a, b := flask, flask
	a.VulnerableRange, a.FirstPatched = ">= 2.3.0, < 2.3.2", "2.3.2"
	b.VulnerableRange, b.FirstPatched = "< 2.2.5", "2.2.5"
	py := releaselake.Advisory{Product: "py", GHSAID: "GHSA-w596-4wvx-j9j6", Summary: "ReDoS in py library when used with subversion ",
		Severity: "MODERATE", VulnerableRange: "<= 1.11.0", PublishedAt: at("2022-10-16T12:00:23Z"), UpdatedAt: at("2022-10-26T19:32:15Z"),
		WithdrawnAt: at("2022-10-26T19:32:15Z"), URL: "https://github.com/advisories/GHSA-w596-4wvx-j9j6", Ecosystem: "PIP", Package: "py"}
	return []releaselake.Advisory{py, a, b}
}

// Each advisories commit names the yellow version it goes with; a reader of
// yellow version y gets the newest commit made with y or before.
func TestStore_CommitAdvisories_followsYellowVersion(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	rows := sampleAdvisories()
	v0, err := s.CommitAdvisories(ctx, releaselake.NoVersion, rows, 0, releaselake.CommitInfo{RunID: "run1"})
	if err != nil || v0 != 0 {
		t.Fatalf("commit v0 = %d, %v", v0, err)
	}
	if _, err := s.CommitAdvisories(ctx, releaselake.NoVersion, rows, 1, releaselake.CommitInfo{}); releaselake.ClassOf(err) != releaselake.Conflict {
		t.Errorf("commit on a stale base: %v, want Conflict", err)
	}
	if _, err := s.CommitAdvisories(ctx, 0, append(rows, rows[0]), 1, releaselake.CommitInfo{}); releaselake.ClassOf(err) != releaselake.Invalid {
		t.Errorf("commit of a duplicate row: %v, want Invalid", err)
	}
	if _, err := s.CommitAdvisories(ctx, 0, rows[1:], 2, releaselake.CommitInfo{RunID: "run2"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		yellow, version int64
		rows            int
	}{{releaselake.NoVersion, releaselake.NoVersion, 0}, {0, 0, 3}, {1, 0, 3}, {2, 1, 2}, {9, 1, 2}} {
		snap, err := s.AdvisoriesFor(ctx, tc.yellow)
		if err != nil || snap.Version != tc.version || len(snap.Advisories) != tc.rows {
			t.Errorf("for yellow v%d: version %d, %d rows, %v; want %d, %d", tc.yellow, snap.Version, len(snap.Advisories), err, tc.version, tc.rows)
		}
	}
	snap, _ := s.AdvisoriesFor(ctx, 0)
	want := sampleAdvisories()
	got := map[string]releaselake.Advisory{}
	for _, a := range snap.Advisories {
		got[a.Product+a.Key()] = a
	}
	for _, a := range want {
		if g := got[a.Product+a.Key()]; !reflect.DeepEqual(g, a) {
			t.Errorf("read back %+v\nwant        %+v", g, a)
		}
	}
}

// delta-rs reads yellow_advisories as a Delta table, checkpoint included:
// schema, nullable columns, rows, the yellow version in the history.
func TestStore_CommitAdvisories_readableByDeltaLake(t *testing.T) {
	py := requireDeltaLake(t)
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, localfs.New(dir))
	base := releaselake.NoVersion
	for i := range 11 { // v10 gets a checkpoint
		rows := sampleAdvisories()
		if i%2 == 1 {
			rows = rows[1:]
		}
		v, err := s.CommitAdvisories(ctx, base, rows, int64(i), releaselake.CommitInfo{RunID: "run"})
		if err != nil {
			t.Fatal(err)
		}
		base = v
	}
	if _, err := localfs.New(dir).Stat(ctx, "yellow_advisories/_delta_log/00000000000000000010.checkpoint.parquet"); err != nil {
		t.Fatalf("no checkpoint at v10: %v", err)
	}
	const script = `
import json, sys
from deltalake import DeltaTable
dt = DeltaTable(sys.argv[1])
t = dt.to_pyarrow_table()
rows = sorted(t.to_pylist(), key=lambda r: (r["product"], r["vulnerable_range"]))
for r in rows:
    for k, v in r.items():
        if hasattr(v, "isoformat"): r[k] = v.isoformat()
fields = {f.name: [f.type.type if hasattr(f.type, "type") else str(f.type), f.nullable] for f in dt.schema().fields}
hist = [h.get("operationParameters", {}).get("yellowVersion") for h in dt.history()]
print(json.dumps({"version": dt.version(), "rows": rows, "schema": fields, "yellow": hist[0]}))
`
	out, err := exec.Command(py, "-c", script, filepath.Join(dir, "yellow_advisories")).CombinedOutput()
	if err != nil {
		t.Fatalf("delta-rs: %v\n%s", err, out)
	}
	var got struct {
		Version int64
		Rows    []map[string]any
		Schema  map[string][2]any
		Yellow  string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Version != 10 || len(got.Rows) != 3 || got.Yellow != "10" {
		t.Fatalf("version %d, %d rows, yellow %q; want 10, 3, \"10\"\n%s", got.Version, len(got.Rows), got.Yellow, out)
	}
	if got.Schema["withdrawn_at"][1] != true || got.Schema["first_patched"][1] != true || got.Schema["ghsa_id"][1] != false {
		t.Errorf("nullability: %v", got.Schema)
	}
	py0, flask := got.Rows[2], got.Rows[0]
	if py0["product"] != "py" || py0["withdrawn_at"] == nil || py0["first_patched"] != nil {
		t.Errorf("withdrawn row = %v", py0)
	}
	if flask["vulnerable_range"] != "< 2.2.5" || flask["first_patched"] != "2.2.5" || flask["withdrawn_at"] != nil || flask["published_at"] != "2023-05-01T19:22:20+00:00" {
		t.Errorf("flask row = %v", flask)
	}
}

// Vacuum removes what yellow_advisories no longer needs, as for yellow:
// files removed from the table once past retention, and files of versions
// decided without them (a lost or crashed commit) at once; never the head's.
func TestStore_Vacuum_advisories(t *testing.T) {
	ctx := context.Background()
	s, fsys := newStore(t)
	base := releaselake.NoVersion
	for i := range 3 {
		v, err := s.CommitAdvisories(ctx, base, sampleAdvisories()[i:], int64(i), releaselake.CommitInfo{})
		if err != nil {
			t.Fatal(err)
		}
		base = v
	}
	orphan := "yellow_advisories/part-00000000000000000001-0b7d4f2e-51c1-4a53-9f0e-7bb4fd0f1b9e-c000.snappy.parquet"
	staged := "yellow_advisories/_staging/part-00000000000000000002-0b7d4f2e-51c1-4a53-9f0e-7bb4fd0f1b9e-c000.snappy.parquet"
	pending := "yellow_advisories/_staging/part-00000000000000000003-0b7d4f2e-51c1-4a53-9f0e-7bb4fd0f1b9e-c000.snappy.parquet"
	for _, n := range []string{orphan, staged, pending} {
		writeFile(t, fsys, n, []byte("x"))
	}
	parquets := func() []string { return names(t, fsys, "yellow_advisories", ".parquet") }
	if got := len(parquets()); got != 4 {
		t.Fatalf("%d data files before vacuum, want 3 commits' and the orphan", got)
	}
	res, err := s.Vacuum(ctx, lake.DefaultRetention, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Removed, orphan) || !slices.Contains(res.Removed, staged) || slices.Contains(res.Removed, pending) {
		t.Errorf("vacuum within retention removed %v: want the orphan and the stale staged file, not v3's", res.Removed)
	}
	if got := len(parquets()); got != 3 {
		t.Errorf("%d data files after vacuum within retention, want the 3 commits'", got)
	}
	if _, err := s.Vacuum(ctx, 0, false); err != nil {
		t.Fatal(err)
	}
	if got := parquets(); len(got) != 1 {
		t.Errorf("after vacuum with no retention: %v, want the head's file only", got)
	}
	if snap, err := s.AdvisoriesFor(ctx, 9); err != nil || snap.Version != 2 || len(snap.Advisories) != 1 {
		t.Errorf("head after vacuum: v%d, %d rows, %v", snap.Version, len(snap.Advisories), err)
	}
}

// A log entry seen half-written (on HDFS a reader may see a prefix of one
// being published) is not read as a version: an error, never wrong rows.
func TestStore_AdvisoriesFor_incompleteEntry(t *testing.T) {
	ctx := context.Background()
	s, fsys := newStore(t)
	if _, err := s.CommitAdvisories(ctx, releaselake.NoVersion, sampleAdvisories(), 0, releaselake.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	// v1 cut after its remove: every line is whole JSON, but commitInfo is missing.
	writeFile(t, fsys, "yellow_advisories/_delta_log/00000000000000000001.json",
		[]byte(`{"remove":{"path":"x.parquet","deletionTimestamp":1,"dataChange":true}}`+"\n"))
	if snap, err := s.AdvisoriesFor(ctx, 5); err == nil {
		t.Errorf("read an incomplete entry as version %d with %d rows", snap.Version, len(snap.Advisories))
	}
	if snap, err := s.AdvisoriesFor(ctx, 0); err == nil {
		t.Errorf("read past an incomplete head: version %d", snap.Version)
	}
}
