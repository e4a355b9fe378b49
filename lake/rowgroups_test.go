package lake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// manyProducts returns rows of 1,500 products of 1 to 400 rows, and two of
// 50,000 (more than a row group holds), not in file order.
func manyProducts() ([]releaselake.Release, map[string]int) {
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	sizes := map[string]int{}
	var rows []releaselake.Release
	for i := 1499; i >= 0; i-- {
		p := fmt.Sprintf("p%04d", i)
		sizes[p] = 1 + i*i%400
		if i == 700 || i == 701 {
			sizes[p] = 50000
		}
		for j := range sizes[p] {
			rows = append(rows, releaselake.Release{Product: p, Tag: fmt.Sprintf("v%d.%d.%d", j/100, j%100, i%7),
				Version: "1.0.0", Source: releaselake.SourceGitHubTag, Repo: "o/" + p, DateSource: releaselake.DateCommit,
				URL: "https://github.com/o/" + p, PublishedAt: t0.Add(time.Duration(j) * time.Hour), FirstSeenAt: t0})
		}
	}
	return rows, sizes
}

// A reader that filters on one product, with the row groups' statistics,
// reads one row group of a large table (two or three for a product larger
// than a row group): the file is sorted by product and its row groups are
// bounded and cut between products.
func TestStore_Commit_rowGroupsLetAProductFilterReadLittle(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, localfs.New(dir), lake.WithFileRows(1<<20)) // one file: its row groups are the subject
	rows, sizes := manyProducts()
	mustCommit(t, s, releaselake.NoVersion, rows, "run1")
	name := dataFile(t, dir)
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	type group struct {
		rows     int64
		bytes    int64
		min, max string
	}
	var groups []group
	var total int64
	for _, rg := range pf.Metadata().RowGroups {
		g := group{rows: rg.NumRows}
		for _, c := range rg.Columns {
			g.bytes += c.MetaData.TotalCompressedSize
		}
		stats := rg.Columns[0].MetaData.Statistics // product
		g.min, g.max = string(stats.MinValue), string(stats.MaxValue)
		if g.rows > 1<<16 {
			t.Errorf("a row group of %d rows", g.rows)
		}
		if len(rg.SortingColumns) != 2 || rg.SortingColumns[0].ColumnIdx != 0 || rg.SortingColumns[1].ColumnIdx != 1 {
			t.Errorf("row group sorting columns %+v, want product, tag", rg.SortingColumns)
		}
		total += g.rows
		groups = append(groups, g)
	}
	if total != int64(len(rows)) || len(groups) < 4 {
		t.Fatalf("%d rows in %d row groups, want %d rows in several", total, len(groups), len(rows))
	}
	var readBytes, fileBytes int64
	for _, g := range groups {
		fileBytes += g.bytes
	}
	for p, n := range sizes {
		read := 0
		for _, g := range groups {
			if g.min <= p && p <= g.max {
				read++
				readBytes += g.bytes
			}
		}
		if want := 1 + n/(1<<15); read < 1 || read > want+1 || (n < 1<<15 && read != 1) {
			t.Errorf("product %s (%d rows): %d row groups may hold it, want %d", p, n, read, want)
		}
	}
	if frac := float64(readBytes) / float64(len(sizes)) / float64(fileBytes); frac > 0.25 {
		t.Errorf("a one-product filter reads %.0f%% of the bytes on average", 100*frac)
	}
	// The column index (page statistics) is there for readers that go further.
	idx, err := pf.RowGroups()[0].ColumnChunks()[0].ColumnIndex()
	if err != nil || idx.NumPages() < 1 {
		t.Errorf("product column index: %v, %v", idx, err)
	}

	// pyarrow reads the same row groups and statistics.
	py, err := exec.LookPath("python3")
	if err == nil && exec.Command(py, "-c", "import pyarrow").Run() == nil {
		out, err := exec.Command(py, "-c", `import json, sys, pyarrow.parquet as pq
m = pq.ParquetFile(sys.argv[1]).metadata
print(json.dumps([[m.row_group(i).num_rows, m.row_group(i).column(0).statistics.min, m.row_group(i).column(0).statistics.max] for i in range(m.num_row_groups)]))`, name).Output()
		if err != nil {
			t.Fatalf("pyarrow: %v", err)
		}
		var got [][3]any
		if err := json.Unmarshal(out, &got); err != nil || len(got) != len(groups) {
			t.Fatalf("pyarrow read %s (%v), want %d row groups", out, err, len(groups))
		}
		for i, g := range got {
			if g[0] != float64(groups[i].rows) || g[1] != groups[i].min || g[2] != groups[i].max {
				t.Errorf("pyarrow row group %d: %v, want %+v", i, g, groups[i])
			}
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("python3 with pyarrow is needed")
	}

	// And the table reads back whole.
	snap, err := s.Snapshot(context.Background())
	if err != nil || len(snap.Releases) != len(rows) {
		t.Fatalf("snapshot: %d rows, %v", len(snap.Releases), err)
	}
}

// dataFile returns the path of the one data file of the lake in dir.
func dataFile(t *testing.T, dir string) string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "yellow", "part-*.parquet"))
	if err != nil || len(names) != 1 {
		t.Fatalf("data files %v, %v; want one", names, err)
	}
	return names[0]
}

// Rows come in any order: each product's rows together or scattered.
func TestStore_Commit_sortsRowsInAnyOrder(t *testing.T) {
	rows, _ := manyProducts()
	rows = rows[:20000]
	scattered := slices.Clone(rows)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(scattered), func(i, j int) { scattered[i], scattered[j] = scattered[j], scattered[i] })
	grouped := slices.Clone(rows) // products together, out of order, their tags reversed
	slices.Reverse(grouped)
	for _, in := range [][]releaselake.Release{rows, scattered, grouped} {
		dir := t.TempDir()
		s := openStore(t, localfs.New(dir))
		mustCommit(t, s, releaselake.NoVersion, in, "run1")
		f, err := os.Open(dataFile(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		got, err := parquet.Read[struct {
			Product string `parquet:"product"`
			Tag     string `parquet:"tag"`
		}](f, func() int64 { st, _ := f.Stat(); return st.Size() }())
		f.Close()
		if err != nil || len(got) != len(in) {
			t.Fatalf("read back %d rows, %v", len(got), err)
		}
		for i := 1; i < len(got); i++ {
			if a, b := got[i-1], got[i]; a.Product > b.Product || a.Product == b.Product && a.Tag >= b.Tag {
				t.Fatalf("rows %d and %d out of order: %v, %v", i-1, i, a, b)
			}
		}
	}
}
