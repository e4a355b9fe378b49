package lake_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// Every page bound a data file's column index states holds the page's values:
// a reader that filters by the page index (Spark's parquet-mr, Trino,
// DuckDB) skips a page whose bounds exclude the value it looks for, so a
// bound that does not hold loses rows. A column written without page bounds
// must have no column index, not one whose bounds are empty. (Found by make
// spark-check: Spark filtering on notes not empty read no row once name, url
// and notes got empty page bounds, 48f100e.)
func TestStore_Commit_pageBoundsHoldEveryValue(t *testing.T) {
	s, fsys := newStore(t)
	mustCommit(t, s, -1, sampleRows(), "run1")
	names, _ := filepath.Glob(filepath.Join(fsys.Root(), "yellow", "part-*.parquet"))
	if len(names) == 0 {
		t.Fatal("no data file")
	}
	for _, name := range names {
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
		for _, rg := range pf.RowGroups() {
			for i, cc := range rg.ColumnChunks() {
				col := strings.Join(pf.Schema().Columns()[i], ".")
				ci, err := cc.ColumnIndex()
				if err != nil { // no column index: nothing claimed
					continue
				}
				pages := cc.Pages()
				for p := 0; ; p++ {
					page, err := pages.ReadPage()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatalf("%s page %d: %v", col, p, err)
					}
					if ci.NullPage(p) {
						continue
					}
					vals := make([]parquet.Value, page.NumValues())
					n, err := page.Values().ReadValues(vals)
					if err != nil && !errors.Is(err, io.EOF) {
						t.Fatalf("%s page %d: %v", col, p, err)
					}
					lo, hi := ci.MinValue(p), ci.MaxValue(p)
					for _, v := range vals[:n] {
						if v.IsNull() {
							continue
						}
						if cc.Type().Compare(v, lo) < 0 || cc.Type().Compare(v, hi) > 0 {
							t.Errorf("column %s, page %d: the value %q is outside the page index's bounds [%q, %q]: a reader using the page index skips the page for a filter the value matches",
								col, p, v, lo, hi)
							break
						}
					}
				}
				pages.Close()
			}
		}
	}
}
