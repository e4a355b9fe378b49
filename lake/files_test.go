package lake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/laketest"
	"github.com/releaselake/releaselake/lake/localfs"
)

// layoutRows returns n products p00.. of per rows each.
func layoutRows(n, per int) []releaselake.Release {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var rows []releaselake.Release
	for i := range n {
		p := fmt.Sprintf("p%02d", i)
		for j := range per {
			rows = append(rows, releaselake.Release{Product: p, Tag: fmt.Sprintf("v1.%03d", j), Version: fmt.Sprintf("1.%d", j),
				Source: releaselake.SourceGitHubTag, Repo: "o/" + p, DateSource: releaselake.DateCommit,
				URL: "https://github.com/o/" + p, PublishedAt: t0.Add(time.Duration(i*per+j) * time.Hour), FirstSeenAt: t0})
		}
	}
	return rows
}

// entryActions returns the adds and removes (paths) and whether entry v has a cdc action.
func entryActions(t *testing.T, fsys lake.FS, v int64) (adds, removes []string, cdc bool, lines []map[string]map[string]any) {
	t.Helper()
	lines = logLines(t, readAll(t, fsys, fmt.Sprintf("yellow/_delta_log/%020d.json", v)))
	for _, l := range lines {
		switch {
		case l["add"] != nil:
			adds = append(adds, l["add"]["path"].(string))
		case l["remove"] != nil:
			removes = append(removes, l["remove"]["path"].(string))
		case l["cdc"] != nil:
			cdc = true
		}
	}
	return adds, removes, cdc, lines
}

// liveNames returns the data files of version v, from the log's adds and removes.
func liveNames(t *testing.T, fsys lake.FS, v int64) []string {
	t.Helper()
	live := map[string]bool{}
	for i := int64(0); i <= v; i++ {
		adds, removes, _, _ := entryActions(t, fsys, i)
		for _, r := range removes {
			delete(live, r)
		}
		for _, a := range adds {
			live[a] = true
		}
	}
	out := make([]string, 0, len(live))
	for name := range live {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// fileOf returns the data file of the head that holds product p.
func fileOf(t *testing.T, fsys *localfs.FS, p string) string {
	t.Helper()
	head, err := lake.Open(fsys).Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range liveNames(t, fsys, head) {
		rows := readParquetFile(t, filepath.Join(fsys.Root(), "yellow", name))
		if slices.ContainsFunc(rows, func(r releaselake.Release) bool { return r.Product == p }) {
			return name
		}
	}
	return ""
}

// A table larger than the file rows is many files, each a whole range of
// products in (product, tag) order; a commit that adds one release rewrites
// the one file of its product, and reads no data file when the caller
// hands it the base rows it read (else it reads just that file).
func TestStore_Commit_rewritesOnlyTheChangedProductsFile(t *testing.T) {
	ctx := context.Background()
	fsys := localfs.New(t.TempDir())
	var opens atomic.Int32
	counting := &laketest.FaultFS{FS: fsys, OpenFunc: func(ctx context.Context, name string) (lake.File, error) {
		if strings.HasPrefix(name, "yellow/part-") {
			opens.Add(1)
		}
		return fsys.Open(ctx, name)
	}}
	s := openStore(t, counting, lake.WithFileRows(100))
	rows := layoutRows(20, 30) // 600 rows: 3 products a file
	mustCommit(t, s, releaselake.NoVersion, rows, "run1")
	v0 := names(t, fsys, "yellow", ".parquet")
	if len(v0) < 6 {
		t.Fatalf("v0 files = %q, want at least 6 of at most 100 rows", v0)
	}
	seen := map[string]string{}
	for _, name := range v0 {
		got := readParquetFile(t, filepath.Join(fsys.Root(), "yellow", name))
		if len(got) > 100 || !slices.IsSortedFunc(got, func(a, b releaselake.Release) int {
			return strings.Compare(a.Product+"\x00"+a.Tag, b.Product+"\x00"+b.Tag)
		}) {
			t.Errorf("%s: %d rows, want at most 100, sorted by (product, tag)", name, len(got))
		}
		for _, r := range got {
			if f, ok := seen[r.Product]; ok && f != name {
				t.Errorf("product %s is in %s and %s", r.Product, f, name)
			}
			seen[r.Product] = name
		}
	}
	if l, err := s.Layout(ctx); err != nil || !l.Clustered || l.Files != len(v0) || l.Rows != 600 || l.SmallFiles != 0 || l.NeedsOptimize() {
		t.Errorf("Layout = %+v, %v", l, err)
	}

	// One new release of p07, with the base rows the caller read.
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := fileOf(t, fsys, "p07")
	next := slices.Clone(snap.Releases)
	nr := rows[7*30]
	nr.Tag, nr.Version = "v2.000", "2.0"
	next = append(next, nr)
	opens.Store(0)
	v, err := s.Commit(ctx, 0, next, releaselake.CommitInfo{RunID: "run2", Base: snap.Releases})
	if err != nil || v != 1 {
		t.Fatalf("Commit = %d, %v", v, err)
	}
	if n := opens.Load(); n != 0 {
		t.Errorf("the commit opened %d data files; the base rows it was handed are the files' rows", n)
	}
	adds, removes, cdc, _ := entryActions(t, fsys, 1)
	if len(adds) != 1 || !slices.Equal(removes, []string{before}) || !cdc {
		t.Errorf("v1 adds %q, removes %q (want %s), cdc %v; want one file replaced and a change set", adds, removes, before, cdc)
	}
	after := liveNames(t, fsys, 1)
	if kept := len(after) - len(adds); kept != len(v0)-1 {
		t.Errorf("files of v1 = %q; want the %d others of v0 kept", after, len(v0)-1)
	}
	assertSnapshot(t, s, 1, next)
	sets, err := s.Changes(ctx, 1, 1, 100)
	if err != nil || len(sets) != 1 || len(sets[0].Changes) != 1 || sets[0].Changes[0].Before != nil || sets[0].Changes[0].After.Tag != "v2.000" {
		t.Errorf("Changes(1) = %+v, %v; want the one insert", sets, err)
	}

	// The same again without base rows: it reads the one file it replaces.
	next2 := slices.Clone(next)
	next2[0].Name = "renamed" // p00's first row
	opens.Store(0)
	if v, err := s.Commit(ctx, 1, next2, releaselake.CommitInfo{RunID: "run3"}); err != nil || v != 2 {
		t.Fatalf("Commit = %d, %v", v, err)
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("the commit opened %d data files, want the 1 it replaces", n)
	}
	if adds, removes, _, _ := entryActions(t, fsys, 2); len(adds) != 1 || len(removes) != 1 {
		t.Errorf("v2 adds %q removes %q, want one each", adds, removes)
	}
	// Base rows that are not the table's (here: one row changed) are found
	// out by the fingerprint, and the file is read instead: the change set
	// stays true.
	next3 := slices.Clone(next2)
	next3[len(next3)-1].Name = "x"
	wrong := slices.Clone(next2)
	wrong[len(wrong)-1].Name = "not what the lake holds"
	opens.Store(0)
	if v, err := s.Commit(ctx, 2, next3, releaselake.CommitInfo{RunID: "run4", Base: wrong}); err != nil || v != 3 {
		t.Fatalf("Commit = %d, %v", v, err)
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("with wrong base rows the commit opened %d data files, want 1", n)
	}
	sets, err = s.Changes(ctx, 3, 3, 100)
	if err != nil || len(sets) != 1 || len(sets[0].Changes) != 1 || sets[0].Changes[0].Before == nil || sets[0].Changes[0].Before.Name != "" || sets[0].Changes[0].After.Name != "x" {
		t.Errorf("Changes(3) = %+v, %v; want the one update from the lake's row", sets, err)
	}
	assertSnapshot(t, s, 3, next3)
	for v, want := range map[int64][]releaselake.Release{0: rows, 1: next, 2: next2} {
		got, err := s.SnapshotAt(ctx, v)
		if err != nil || !reflect.DeepEqual(normalizedSorted(got.Releases), normalized(want)) {
			t.Errorf("SnapshotAt(%d) = %d rows, %v", v, len(got.Releases), err)
		}
	}
}

func normalizedSorted(rows []releaselake.Release) []releaselake.Release {
	out := slices.Clone(rows)
	sortReleases(out)
	return out
}

// New products go with the file whose range they fall in (before the first:
// the first); a part that grows past the file rows is split at products; a
// product that leaves is dropped from its file, and a file left empty is
// only removed.
func TestStore_Commit_partsGrowSplitAndShrink(t *testing.T) {
	fsys := localfs.New(t.TempDir())
	s := openStore(t, fsys, lake.WithFileRows(100))
	rows := layoutRows(10, 30)
	mustCommit(t, s, releaselake.NoVersion, rows, "run1")

	// A new product "a" (before every other) and "p03x" (between p03 and p04).
	extra := layoutRows(1, 5)
	for i := range extra {
		extra[i].Product = "a"
	}
	mid := layoutRows(1, 5)
	for i := range mid {
		mid[i].Product = "p03x"
	}
	next := slices.Concat(rows, extra, mid)
	mustCommit(t, s, 0, next, "run2")
	adds, removes, _, _ := entryActions(t, fsys, 1)
	if len(removes) != 2 || len(adds) != 2 {
		t.Errorf("v1 adds %q removes %q; want the first file and p03's replaced", adds, removes)
	}
	if fileOf(t, fsys, "a") != fileOf(t, fsys, "p00") || fileOf(t, fsys, "p03x") != fileOf(t, fsys, "p03") {
		t.Errorf("new products are not with their neighbours")
	}
	assertSnapshot(t, s, 1, next)

	// p05 grows by 150 rows: its part splits into files of at most 100
	// rows, at product ends, except p05 alone (180 rows) in one.
	grown := slices.Clone(next)
	for j := range 150 {
		r := rows[5*30]
		r.Tag = fmt.Sprintf("v9.%03d", j)
		grown = append(grown, r)
	}
	mustCommit(t, s, 1, grown, "run3")
	adds, removes, _, _ = entryActions(t, fsys, 2)
	if len(removes) != 1 || len(adds) < 2 {
		t.Errorf("v2 adds %q removes %q; want p05's file replaced by more than one", adds, removes)
	}
	for _, a := range adds {
		got := readParquetFile(t, filepath.Join(fsys.Root(), "yellow", a))
		products := map[string]bool{}
		for _, r := range got {
			products[r.Product] = true
		}
		if len(got) > 100 && len(products) > 1 {
			t.Errorf("%s: %d rows of %d products; a file past the file rows holds one product", a, len(got), len(products))
		}
	}
	assertSnapshot(t, s, 2, grown)

	// p00..p02 and "a" leave: their file is removed, with nothing added.
	var left []releaselake.Release
	for _, r := range grown {
		if r.Product != "a" && r.Product > "p02" {
			left = append(left, r)
		}
	}
	gone := fileOf(t, fsys, "p00")
	mustCommit(t, s, 2, left, "run4")
	adds, removes, _, _ = entryActions(t, fsys, 3)
	if len(adds) != 0 || !slices.Equal(removes, []string{gone}) {
		t.Errorf("v3 adds %q removes %q; want only %s removed", adds, removes, gone)
	}
	assertSnapshot(t, s, 3, left)
}

// A table whose files carry no fingerprint (written before this layout, or
// by another engine) is rewritten whole by its next commit, into the layout.
func TestStore_Commit_laysOutATableWrittenBefore(t *testing.T) {
	ctx := context.Background()
	fsys := localfs.New(t.TempDir())
	s := openStore(t, fsys, lake.WithFileRows(1000))
	rows := layoutRows(10, 30)
	mustCommit(t, s, releaselake.NoVersion, rows, "run1")
	// Drop the tags from v0's add, as an older releaselake wrote it.
	entry := "yellow/_delta_log/00000000000000000000.json"
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(readAll(t, fsys, entry))), "\n") {
		var a map[string]map[string]any
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatal(err)
		}
		if a["add"] != nil {
			delete(a["add"], "tags")
		}
		b, _ := json.Marshal(a)
		out = append(out, string(b))
	}
	if err := os.WriteFile(filepath.Join(fsys.Root(), entry), []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, fsys, lake.WithFileRows(100))
	if l, err := s.Layout(ctx); err != nil || l.Clustered || !l.NeedsOptimize() {
		t.Errorf("Layout of an untagged table = %+v, %v; want not clustered, needing optimize", l, err)
	}
	next := slices.Clone(rows)
	next[0].Name = "changed"
	mustCommit(t, s, 0, next, "run2")
	adds, removes, _, _ := entryActions(t, fsys, 1)
	if len(removes) != 1 || len(adds) < 3 {
		t.Errorf("v1 adds %q removes %q; want the one old file replaced by files of at most 100 rows", adds, removes)
	}
	if l, err := s.Layout(ctx); err != nil || !l.Clustered || l.Files != len(adds) {
		t.Errorf("Layout after = %+v, %v", l, err)
	}
	sets, err := s.Changes(ctx, 1, 1, 1000)
	if err != nil || len(sets) != 1 || len(sets[0].Changes) != 1 {
		t.Errorf("Changes(1) = %+v, %v; want the one update", sets, err)
	}
	assertSnapshot(t, s, 1, next)
}

// Optimize merges runs of small neighbouring files, keeps every row, changes
// no data (dataChange false, no change set, nothing in the change feed), and
// leaves every older version readable until vacuum removes its files.
func TestStore_Optimize_mergesSmallFilesAndKeepsEveryVersion(t *testing.T) {
	ctx := context.Background()
	fsys := localfs.New(t.TempDir())
	s := openStore(t, fsys, lake.WithFileRows(100))
	rows := layoutRows(100, 10) // 1,000 rows: 10 files of 10 products
	mustCommit(t, s, releaselake.NoVersion, rows, "run1")
	versions := [][]releaselake.Release{rows}
	// Products leave, nine of each ten: the files get small.
	left := keepOneInTen(rows)
	mustCommit(t, s, 0, left, "run2")
	versions = append(versions, left)
	l, err := s.Layout(ctx)
	if err != nil || l.SmallFiles < 8 || !l.NeedsOptimize() || l.Rows != int64(len(left)) {
		t.Fatalf("Layout = %+v, %v; want at least 8 small files", l, err)
	}

	res, err := s.Optimize(ctx)
	if err != nil || res.Version != 2 || res.FilesAfter >= res.FilesBefore || res.FilesRemoved < 8 ||
		res.RowsRewritten == 0 || res.BytesWritten == 0 {
		t.Fatalf("Optimize = %+v, %v", res, err)
	}
	adds, removes, cdc, lines := entryActions(t, fsys, 2)
	if cdc || len(adds) != res.FilesAdded || len(removes) != res.FilesRemoved {
		t.Errorf("v2 adds %d removes %d cdc %v; result %+v", len(adds), len(removes), cdc, res)
	}
	for _, line := range lines {
		for _, kind := range []string{"add", "remove"} {
			if a := line[kind]; a != nil && a["dataChange"] != false {
				t.Errorf("v2 %s %v: want dataChange false", kind, a)
			}
		}
		if ci := line["commitInfo"]; ci != nil && ci["operation"] != "OPTIMIZE" {
			t.Errorf("v2 commitInfo %v", ci)
		}
	}
	versions = append(versions, left)
	after, err := s.Layout(ctx)
	if err != nil || after.SmallFiles != 0 || after.NeedsOptimize() || after.Files != res.FilesAfter || after.Rows != int64(len(left)) {
		t.Errorf("Layout after = %+v, %v", after, err)
	}
	if sets, err := s.Changes(ctx, 2, 2, 10); err != nil || len(sets) != 1 || len(sets[0].Changes) != 0 {
		t.Errorf("Changes(2) = %+v, %v; want an empty change set", sets, err)
	}
	if res, err := s.Optimize(ctx); err != nil || res.Version != releaselake.NoVersion {
		t.Errorf("Optimize again = %+v, %v; want nothing to do", res, err)
	}

	// A commit after the optimize rewrites one (merged) file.
	next := slices.Clone(left)
	next[len(next)-1].Name = "last"
	mustCommit(t, s, 2, next, "run3")
	versions = append(versions, next)
	if adds, removes, _, _ := entryActions(t, fsys, 3); len(adds) != 1 || len(removes) != 1 {
		t.Errorf("v3 adds %q removes %q; want one each", adds, removes)
	}
	for v, want := range versions {
		got, err := s.SnapshotAt(ctx, int64(v))
		if err != nil || !reflect.DeepEqual(normalizedSorted(got.Releases), normalized(want)) {
			t.Errorf("SnapshotAt(%d) = %d rows, %v; want %d", v, len(got.Releases), err, len(want))
		}
	}

	// Vacuum with no retention: the head stays, older versions whose files
	// went are gone.
	if _, err := s.Vacuum(ctx, 0, false); err != nil {
		t.Fatal(err)
	}
	assertSnapshot(t, s, 3, next)
	if _, err := s.SnapshotAt(ctx, 0); releaselake.ClassOf(err) != releaselake.NotFound {
		t.Errorf("SnapshotAt(0) after vacuum = %v, want NotFound", err)
	}
}

// An Optimize that loses the race for its version to a commit fails with
// Conflict and leaves no file behind.
func TestStore_Optimize_conflictLeavesNothing(t *testing.T) {
	ctx := context.Background()
	fsys := localfs.New(t.TempDir())
	s := openStore(t, fsys, lake.WithFileRows(100))
	rows := layoutRows(100, 10)
	mustCommit(t, s, releaselake.NoVersion, rows, "run1")
	left := keepOneInTen(rows)
	mustCommit(t, s, 0, left, "run2")
	raced := false
	racing := &laketest.FaultFS{FS: fsys, PublishFunc: func(ctx context.Context, name string, data []byte) error {
		if !raced && strings.HasSuffix(name, "00000000000000000002.json") {
			raced = true
			next := slices.Clone(left)
			next[0].Name = "won"
			mustCommit(t, s, 1, next, "run3")
		}
		return fsys.Publish(ctx, name, data)
	}}
	before := names(t, fsys, "yellow", ".parquet")
	if l, err := s.Layout(ctx); err != nil || !l.NeedsOptimize() {
		t.Fatalf("Layout = %+v, %v; want small files", l, err)
	}
	_, err := openStore(t, racing, lake.WithFileRows(100)).Optimize(ctx)
	if releaselake.ClassOf(err) != releaselake.Conflict {
		t.Fatalf("Optimize racing a commit = %v, want Conflict", err)
	}
	adds, _, _, _ := entryActions(t, fsys, 2)
	want := slices.Concat(before, adds)
	slices.Sort(want)
	if got := names(t, fsys, "yellow", ".parquet"); !slices.Equal(got, want) {
		t.Errorf("data files = %q, want %q: the optimize's files removed", got, want)
	}
	if !raced {
		t.Fatal("the race did not run")
	}
}

func readParquetFile(t *testing.T, name string) []releaselake.Release {
	t.Helper()
	rows, err := lake.ReadDataFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// keepOneInTen returns the rows of products p.0 (one in ten).
func keepOneInTen(rows []releaselake.Release) []releaselake.Release {
	var out []releaselake.Release
	for _, r := range rows {
		if strings.HasSuffix(r.Product, "0") {
			out = append(out, r)
		}
	}
	return out
}
