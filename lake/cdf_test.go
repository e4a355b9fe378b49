package lake_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// changeHistory commits the history the change feed is tested on and returns
// each version's rows: v0 sampleRows; v1 a new release; v2 a prerelease made
// GA and a release re-dated; v3 a release deleted; v4 the same rows again.
func changeHistory(t *testing.T, s *lake.Store) [][]releaselake.Release {
	t.Helper()
	v0 := sampleRows()
	v1 := append(slices.Clone(v0), releaselake.Release{Product: "react", Tag: "v19.1.0", Version: "19.1.0", Name: "React 19.1",
		URL: "https://github.com/facebook/react/releases/tag/v19.1.0", Source: releaselake.SourceGitHubRelease, Repo: "facebook/react",
		DateSource: releaselake.DateReleasePublished, PublishedAt: time.Date(2025, 3, 28, 0, 0, 0, 0, time.UTC), FirstSeenAt: clockTime})
	v2 := slices.Clone(v1)
	v2[1].Prerelease = false                             // python v3.13.0rc2: GA
	v2[0].PublishedAt = v2[0].PublishedAt.Add(time.Hour) // react v19.0.0: re-dated
	v3 := slices.Delete(slices.Clone(v2), 2, 3)          // pandas 0.1: deleted
	v4 := slices.Clone(v3)
	versions := [][]releaselake.Release{v0, v1, v2, v3, v4}
	for i, rows := range versions {
		mustCommit(t, s, int64(i)-1, rows, fmt.Sprint("run", i))
	}
	return versions
}

// summary is a change set as "+product/tag", "-product/tag" and
// "~product/tag:fields".
func summary(set releaselake.ChangeSet) []string {
	var out []string
	for _, c := range set.Changes {
		r := c.Release()
		switch {
		case c.Added():
			out = append(out, "+"+r.Product+"/"+r.Tag)
		case c.Removed():
			out = append(out, "-"+r.Product+"/"+r.Tag)
		default:
			out = append(out, "~"+r.Product+"/"+r.Tag+":"+strings.Join(c.ChangedFields(), ","))
		}
	}
	return out
}

func TestStore_Changes_eachCommitsChangeSet(t *testing.T) {
	s, fsys := newStore(t)
	ctx := context.Background()
	versions := changeHistory(t, s)

	sets, err := s.Changes(ctx, 0, 4, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"+pandas/0.1", "+python/v3.12.0", "+python/v3.13.0rc2", "+react/v19.0.0"},
		{"+react/v19.1.0"},
		{"~python/v3.13.0rc2:prerelease", "~react/v19.0.0:publishedAt"},
		{"-pandas/0.1"},
		nil,
	}
	for v, set := range sets {
		if set.Version != int64(v) || !slices.Equal(summary(set), want[v]) {
			t.Errorf("v%d: change set v%d %q, want %q", v, set.Version, summary(set), want[v])
		}
	}
	if len(sets) != len(want) {
		t.Fatalf("%d change sets, want %d", len(sets), len(want))
	}
	// The feed is exact: each version's changes applied to the version
	// before give that version.
	for v := 1; v < len(versions); v++ {
		if got := apply(normalized(versions[v-1]), sets[v]); !reflect.DeepEqual(got, normalized(versions[v])) {
			t.Errorf("v%d applied to v%d:\n got  %v\n want %v", v, v-1, got, normalized(versions[v]))
		}
		if snap, _ := s.SnapshotAt(ctx, int64(v)); !sets[v].CommittedAt.Equal(snap.CommittedAt) {
			t.Errorf("v%d committed at %v; snapshot says %v", v, sets[v].CommittedAt, snap.CommittedAt)
		}
	}

	// v4 changed no row: no part of the table changed, so it writes no file,
	// only its commitInfo.
	v4 := logLines(t, readAll(t, fsys, "yellow/_delta_log/00000000000000000004.json"))
	if len(v4) != 1 || v4[0]["commitInfo"] == nil {
		t.Errorf("v4 = %v, want commitInfo alone: no add, remove or cdc", v4)
	}
	if got := names(t, fsys, "yellow/_change_data", ".parquet"); len(got) != 3 {
		t.Errorf("change data files = %q, want one for each of v1..v3", got)
	}

	if sets, err := s.Changes(ctx, 2, 2, 1000); err != nil || len(sets) != 1 || len(sets[0].Changes) != 2 {
		t.Errorf("Changes(2, 2) = %v, %v", sets, err)
	}
	for _, r := range [][2]int64{{-1, 2}, {3, 2}} {
		if _, err := s.Changes(ctx, r[0], r[1], 1000); releaselake.ClassOf(err) != releaselake.Invalid {
			t.Errorf("Changes(%d, %d) = %v, want Invalid", r[0], r[1], err)
		}
	}
	if _, err := s.Changes(ctx, 0, 5, 1000); releaselake.ClassOf(err) != releaselake.NotFound {
		t.Errorf("Changes(0, 5) beyond the head = %v, want NotFound", err)
	}
	if _, err := s.Changes(ctx, 0, 4, 0); releaselake.ClassOf(err) != releaselake.Invalid {
		t.Errorf("Changes(0, 4, 0 rows) = %v, want Invalid", err)
	}

	// maxRows: v0 has 4 rows, v1 1, v2 4 (two updates): 5 rows read stop
	// before v2; a first version over the limit comes alone, TooLarge.
	for _, c := range []struct {
		from    int64
		maxRows int
		want    string
	}{
		{0, 5, "[v0 v1]"},
		{0, 9, "[v0 v1 v2]"},
		{0, 3, "[v0:too large]"},
		{2, 3, "[v2:too large]"},
		{3, 1, "[v3 v4]"}, // v4 changed nothing: it reads no row
	} {
		sets, err := s.Changes(ctx, c.from, 4, c.maxRows)
		var got []string
		for _, set := range sets {
			switch {
			case set.TooLarge && len(set.Changes) == 0:
				got = append(got, fmt.Sprintf("v%d:too large", set.Version))
			case !set.TooLarge:
				got = append(got, fmt.Sprintf("v%d", set.Version))
			default:
				got = append(got, fmt.Sprintf("v%d:too large with %d changes", set.Version, len(set.Changes)))
			}
		}
		if err != nil || fmt.Sprint(got) != c.want {
			t.Errorf("Changes(%d, 4, %d rows) = %v, %v; want %s", c.from, c.maxRows, got, err, c.want)
		}
	}
}

// apply applies a change set to rows sorted by (product, tag).
func apply(rows []releaselake.Release, set releaselake.ChangeSet) []releaselake.Release {
	out := slices.Clone(rows)
	for _, c := range set.Changes {
		key := c.Release().Key()
		out = slices.DeleteFunc(out, func(r releaselake.Release) bool { return r.Key() == key })
		if c.After != nil {
			out = append(out, *c.After)
		}
	}
	sortReleases(out)
	return out
}

// cdfRead is what testdata/read_cdf.py prints.
type cdfRead struct {
	Configuration map[string]string `json:"configuration"`
	Protocol      []int             `json:"protocol"`
	Rows          []map[string]any  `json:"rows"`
}

// readCDF runs testdata/read_cdf.py: delta-rs's load_cdf from version start.
func readCDF(t *testing.T, py, table string, start int64) cdfRead {
	t.Helper()
	cmd := exec.Command(py, filepath.Join("testdata", "read_cdf.py"), table, fmt.Sprint(start))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("read_cdf.py: %v", err)
	}
	var got cdfRead
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("read_cdf.py output: %v\n%s", err, out)
	}
	return got
}

// feedRows flattens change sets into the rows a change data reader gives:
// each row with _change_type and _commit_version, sorted.
func feedRows(sets []releaselake.ChangeSet) []map[string]any {
	var out []map[string]any
	add := func(v int64, typ releaselake.ChangeType, r *releaselake.Release) {
		row := deltaRow(normalized([]releaselake.Release{*r})[0])
		row["_change_type"], row["_commit_version"] = string(typ), json.Number(fmt.Sprint(v))
		out = append(out, row)
	}
	for _, set := range sets {
		for _, c := range set.Changes {
			switch {
			case c.Added():
				add(set.Version, releaselake.ChangeInsert, c.After)
			case c.Removed():
				add(set.Version, releaselake.ChangeDelete, c.Before)
			default:
				add(set.Version, releaselake.ChangePreimage, c.Before)
				add(set.Version, releaselake.ChangePostimage, c.After)
			}
		}
	}
	sortFeed(out)
	return out
}

func sortFeed(rows []map[string]any) {
	slices.SortFunc(rows, func(a, b map[string]any) int {
		key := func(r map[string]any) string {
			return fmt.Sprintf("%020s\x00%s\x00%s\x00%s", r["_commit_version"], r["product"], r["tag"], r["_change_type"])
		}
		return cmp.Compare(key(a), key(b))
	})
}

// delta-rs's load_cdf reads the change feed the lake wrote, and gives the
// rows the lake's own reader gives.
func TestStore_Changes_readableByDeltaLake(t *testing.T) {
	py := requireDeltaLake(t)
	dir := t.TempDir()
	s := openStore(t, localfs.New(dir))
	changeHistory(t, s)
	ours, err := s.Changes(context.Background(), 0, 4, 1000)
	if err != nil {
		t.Fatal(err)
	}

	got := readCDF(t, py, filepath.Join(dir, "yellow"), 0)

	if got.Configuration["delta.enableChangeDataFeed"] != "true" || !reflect.DeepEqual(got.Protocol, []int{1, 4}) {
		t.Errorf("configuration %v, protocol %v; want the change feed on, protocol [1 4]", got.Configuration, got.Protocol)
	}
	sortFeed(got.Rows)
	want := feedRows(ours)
	if len(got.Rows) != len(want) {
		t.Errorf("load_cdf gave %d rows, the lake %d", len(got.Rows), len(want))
	}
	for i := range min(len(got.Rows), len(want)) {
		if !reflect.DeepEqual(got.Rows[i], want[i]) {
			t.Errorf("row %d:\n load_cdf %v\n lake     %v", i, got.Rows[i], want[i])
		}
	}
	if len(want) != 4+1+4+1 {
		t.Errorf("the lake's feed has %d rows, want 10 (4 inserts, 1 insert, 2 updates, 1 delete)", len(want))
	}
}

// A table written before the change feed gets it with its next commit: a
// protocol and metaData action; the versions before it are refused.
func TestStore_Commit_upgradesATableToTheChangeFeed(t *testing.T) {
	dir := t.TempDir()
	fsys := localfs.New(dir)
	rows := sampleRows()
	if err := lake.WriteLegacyTable(fsys, rows, clockTime); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, fsys)
	ctx := context.Background()
	if _, err := s.Changes(ctx, 0, 0, 1000); releaselake.ClassOf(err) != releaselake.NotFound {
		t.Errorf("Changes(0, 0) of a table without the change feed = %v, want NotFound", err)
	}
	next := slices.Clone(rows)
	next[1].Prerelease = false
	mustCommit(t, s, 0, next, "run2")

	v1 := logLines(t, readAll(t, fsys, "yellow/_delta_log/00000000000000000001.json"))
	if p := v1[0]["protocol"]; p == nil || p["minReaderVersion"] != 1.0 || p["minWriterVersion"] != 4.0 {
		t.Errorf("v1 starts with %v, want protocol 1/4", v1[0])
	}
	if md := v1[1]["metaData"]; md == nil || md["id"] != "legacy" || fmt.Sprint(md["configuration"]) != "map[delta.enableChangeDataFeed:true]" {
		t.Errorf("v1's second action %v, want the table's metaData with the change feed on", v1[1])
	}
	sets, err := s.Changes(ctx, 1, 1, 1000)
	if err != nil || len(sets) != 1 {
		t.Fatalf("Changes(1, 1) = %v, %v", sets, err)
	}
	// The notes column came with the upgrade: rows that had notes changed.
	if got, want := summary(sets[0]), []string{"~python/v3.13.0rc2:prerelease", "~react/v19.0.0:notes"}; !slices.Equal(got, want) {
		t.Errorf("v1 changes %q, want %q", got, want)
	}
	if _, err := s.Changes(ctx, 0, 1, 1000); releaselake.ClassOf(err) != releaselake.NotFound || !strings.Contains(err.Error(), "version 0") {
		t.Errorf("Changes(0, 1) = %v, want NotFound naming version 0", err)
	}

	if py := requireDeltaLake(t); py != "" {
		got := readCDF(t, py, filepath.Join(dir, "yellow"), 1)
		sortFeed(got.Rows)
		if want := feedRows(sets); !reflect.DeepEqual(got.Rows, want) {
			t.Errorf("load_cdf from v1:\n got  %v\n want %v", got.Rows, want)
		}
	}
}

// Change data files are never in a checkpoint (the protocol says so), a
// change data file of a commit that lost is removed by the next commit, and
// the feed reads across a checkpoint and a repair entry.
func TestStore_Changes_checkpointsAndCleaning(t *testing.T) {
	s, fsys := newStore(t)
	ctx := context.Background()
	mustCommit(t, s, releaselake.NoVersion, versionRows(0), "run0")
	lost := "yellow/_change_data/cdc-00000000000000000001-00000000-0000-4000-8000-000000000000-c000.snappy.parquet"
	writeFile(t, fsys, lost, []byte("a crashed commit's"))
	commitHistoryFrom(t, s, 1, 11) // v1..v10, checkpoint at 10
	if _, err := fsys.Stat(ctx, lost); err == nil {
		t.Errorf("%s is still there after v1 was committed by another commit", lost)
	}
	cp := readAll(t, fsys, "yellow/_delta_log/00000000000000000010.checkpoint.parquet")
	pf, err := parquet.OpenFile(bytes.NewReader(cp), int64(len(cp)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range pf.Schema().Fields() {
		if f.Name() == "cdc" {
			t.Errorf("the checkpoint has a cdc column")
		}
	}
	// v11 abandoned half-written, repaired by the commit of v12.
	writeFile(t, fsys, "yellow/_delta_log/00000000000000000011.json", []byte(`{"commitInfo":{"timest`))
	if v, err := s.Commit(ctx, 10, versionRows(12), releaselake.CommitInfo{RunID: "run12"}); err != nil || v != 12 {
		t.Fatalf("commit over the abandoned v11 = v%d, %v", v, err)
	}
	sets, err := s.Changes(ctx, 10, 12, 1000)
	if err != nil || len(sets) != 3 {
		t.Fatalf("Changes(10, 12) = %v, %v", sets, err)
	}
	if len(sets[1].Changes) != 0 {
		t.Errorf("the repair entry v11 changed %q", summary(sets[1]))
	}
	if got := apply(normalized(versionRows(10)), sets[2]); !reflect.DeepEqual(got, normalized(versionRows(12))) {
		t.Errorf("v12 applied to v10 = %v", got)
	}
}

// commitHistoryFrom commits versionRows(i) as version i for i in [from, to).
func commitHistoryFrom(t *testing.T, s *lake.Store, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		mustCommit(t, s, int64(i)-1, versionRows(i), fmt.Sprint("run", i))
	}
}

// A first commit that steps over a repair entry at version 0 (which declares
// no change feed) turns the feed on in its own entry, its rows read as
// inserts from its add; version 0 is refused, by delta-rs too.
func TestStore_Changes_firstCommitOverARepairedVersion0(t *testing.T) {
	s, fsys := newStore(t)
	ctx := context.Background()
	writeFile(t, fsys, "yellow/_delta_log/00000000000000000000.json", []byte(`{"commitInfo":{"timest`))
	if v, err := s.Commit(ctx, releaselake.NoVersion, sampleRows(), releaselake.CommitInfo{RunID: "run1"}); err != nil || v != 1 {
		t.Fatalf("commit over the abandoned v0 = v%d, %v", v, err)
	}
	if _, err := s.Changes(ctx, 0, 1, 1000); releaselake.ClassOf(err) != releaselake.NotFound {
		t.Errorf("Changes(0, 1) = %v, want NotFound: v0 has no change feed", err)
	}
	sets, err := s.Changes(ctx, 1, 1, 1000)
	if err != nil || len(sets) != 1 {
		t.Fatalf("Changes(1, 1) = %v, %v", sets, err)
	}
	want := []string{"+pandas/0.1", "+python/v3.12.0", "+python/v3.13.0rc2", "+react/v19.0.0"}
	if !slices.Equal(summary(sets[0]), want) {
		t.Errorf("v1 %q; want %q", summary(sets[0]), want)
	}
	v1 := logLines(t, readAll(t, fsys, "yellow/_delta_log/00000000000000000001.json"))
	if v1[0]["protocol"]["minWriterVersion"] != 4.0 || v1[1]["metaData"] == nil {
		t.Errorf("v1 = %v, want protocol 1/4 and metaData first", v1)
	}
	got := readCDF(t, requireDeltaLake(t), filepath.Join(fsys.Root(), "yellow"), 1)
	sortFeed(got.Rows)
	if want := feedRows(sets); !reflect.DeepEqual(got.Rows, want) {
		t.Errorf("load_cdf from v1:\n got  %v\n want %v", got.Rows, want)
	}
}
