package lake

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/releaselake/releaselake"
)

// fileSchema is the Parquet schema of yellow's data files, made from the
// table (releaselake.ReleaseColumns): every column required (not null),
// timestamps as microseconds since the epoch (parquet-go decodes time.Time
// through nanoseconds, which overflow outside 1677..2262; a zero time.Time
// is year 1), dictionary encoding where the table says. It is derived from a
// struct type made with reflect, tagged as a hand-written row struct would be.
var fileSchema = rowSchema()

// rowSchema is the schema of the table's columns followed by extra ones (a
// change data file's _change_type, cdf.go).
func rowSchema(extra ...reflect.StructField) *parquet.Schema {
	fields := make([]reflect.StructField, len(releaselake.ReleaseColumns), len(releaselake.ReleaseColumns)+len(extra))
	for i, c := range releaselake.ReleaseColumns {
		tag := c.Name
		var typ reflect.Type
		switch c.Type {
		case releaselake.StringColumn:
			typ = reflect.TypeFor[string]()
		case releaselake.TimeColumn:
			typ, tag = reflect.TypeFor[int64](), tag+",timestamp(microsecond:utc)"
		case releaselake.BoolColumn:
			typ = reflect.TypeFor[bool]()
		}
		if c.Dict {
			tag += ",dict"
		}
		fields[i] = reflect.StructField{Name: fmt.Sprintf("C%d", i), Type: typ, Tag: reflect.StructTag(`parquet:"` + tag + `"`)}
	}
	fields = append(fields, extra...)
	return parquet.NewSchema("row", parquet.SchemaOf(reflect.New(reflect.StructOf(fields)).Elem().Interface()))
}

// deltaType is the Delta type of a column type.
var deltaType = [...]string{releaselake.StringColumn: "string", releaselake.TimeColumn: "timestamp", releaselake.BoolColumn: "boolean"}

// schemaString is the Delta schema of the yellow table (metaData.schemaString).
var schemaString = func() string {
	type field struct {
		Name     string         `json:"name"`
		Type     string         `json:"type"`
		Nullable bool           `json:"nullable"`
		Metadata map[string]any `json:"metadata"`
	}
	s := struct {
		Type   string  `json:"type"`
		Fields []field `json:"fields"`
	}{Type: "struct"}
	for _, c := range releaselake.ReleaseColumns {
		s.Fields = append(s.Fields, field{Name: c.Name, Type: deltaType[c.Type], Metadata: map[string]any{}})
	}
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// sorted is the rows of a data file in file order, (product, tag): releases
// and the permutation that sorts them, so that a commit of a million rows
// holds them once, as the caller gave them, and converts them to Parquet rows
// one row group at a time.
type sorted struct {
	rels []releaselake.Release
	idx  []int32
}

// sortReleases sorts rels by (product, tag), leaving rels as it is:
// groupReleases, then sortRuns.
func sortReleases(rels []releaselake.Release) sorted {
	rows := groupReleases(rels)
	rows.sortRuns()
	return rows
}

// groupReleases orders rels by product, keeping each product's rows in the
// order given, leaving rels as it is. Callers mostly keep each product's
// rows together (Merge appends product by product), so it finds the runs of
// one product and orders the runs by product (stably): a product in several
// runs (a row appended at the end) costs nothing more.
func groupReleases(rels []releaselake.Release) sorted {
	idx := make([]int32, len(rels))
	type span struct{ lo, hi int }
	var spans []span
	for i := 0; i < len(rels); {
		j := i + 1
		for j < len(rels) && rels[j].Product == rels[i].Product {
			j++
		}
		spans = append(spans, span{i, j})
		i = j
	}
	slices.SortStableFunc(spans, func(a, b span) int { return strings.Compare(rels[a.lo].Product, rels[b.lo].Product) })
	pos := 0
	for _, sp := range spans {
		for i := sp.lo; i < sp.hi; i++ {
			idx[pos] = int32(i)
			pos++
		}
	}
	return sorted{rels: rels, idx: idx}
}

// sortRuns sorts each product's rows of t, grouped by product, by tag, in
// place; a product whose rows come sorted is only checked. It reports
// whether it moved any row.
func (t sorted) sortRuns() (moved bool) {
	byTag := func(a, b int32) int { return strings.Compare(t.rels[a].Tag, t.rels[b].Tag) }
	for lo := 0; lo < len(t.idx); {
		p := t.rels[t.idx[lo]].Product
		hi := lo + 1
		for hi < len(t.idx) && t.rels[t.idx[hi]].Product == p {
			hi++
		}
		if run := t.idx[lo:hi]; !slices.IsSortedFunc(run, byTag) {
			slices.SortFunc(run, byTag)
			moved = true
		}
		lo = hi
	}
	return moved
}

// unique returns an error of class Invalid if two rows of t, in (product,
// tag) order, share (product, tag).
func (t sorted) unique() error {
	for i := 1; i < t.len(); i++ {
		if a, b := t.at(i-1), t.at(i); a.Tag == b.Tag && a.Product == b.Product {
			return releaselake.Errorf(releaselake.Invalid, "two rows for product %q tag %q", b.Product, b.Tag)
		}
	}
	return nil
}

func compareReleases(a, b *releaselake.Release) int {
	if c := strings.Compare(a.Product, b.Product); c != 0 {
		return c
	}
	return strings.Compare(a.Tag, b.Tag)
}

func (t sorted) len() int                      { return len(t.idx) }
func (t sorted) at(i int) *releaselake.Release { return &t.rels[t.idx[i]] }

// slice returns rows lo to hi of t.
func (t sorted) slice(lo, hi int) sorted { return sorted{rels: t.rels, idx: t.idx[lo:hi]} }

// rowGroupRows is the most rows a row group holds. Row groups are cut at a
// product's first row where one lies in the group's second half, so that a
// reader filtering on one product (by the row groups' min/max statistics)
// reads one row group of at most this many rows, unless the product is
// larger than half a group. 64Ki rows of releases are about 1.5 MB of
// Parquet: a small fraction of a large table, and still large enough for
// readers to read efficiently.
const rowGroupRows = 1 << 16

// writeParquet writes rows, sorted by (product, tag), as one snappy-compressed
// Parquet file and returns the number of bytes written. Row groups are cut
// by groupEnd; every column chunk has page statistics and a column index. The
// file records its sorting columns (product, tag) in its row groups'
// metadata: parquet-go's writer only records them, it does not sort, which
// is why rows must come sorted. Each row group is written straight from the
// Releases, writeRun rows at a time (as parquet-go's own row writer does, so
// that pages end near PageBufferSize): each Release of the run read once
// into every column's values, then each column written.
func writeParquet(w io.Writer, rows sorted) (int64, error) {
	cw := &countingWriter{w: w}
	pw := parquet.NewWriter(cw, append([]parquet.WriterOption{fileSchema}, writerOptions...)...)
	var vals [releaselake.NumColumns][writeRun]parquet.Value
	for start := 0; start < rows.len(); {
		end := groupEnd(rows, start, rowGroupRows)
		writers := pw.ColumnWriters()
		for lo := start; lo < end; lo += writeRun {
			n := min(writeRun, end-lo)
			for i := range n {
				valuesOf(&vals, i, rows.at(lo+i))
			}
			for k, c := range releaselake.ReleaseColumns {
				if _, err := writers[k].WriteRowValues(vals[k][:n]); err != nil {
					return cw.n, fmt.Errorf("column %s: %w", c.Name, err)
				}
			}
		}
		if err := pw.Flush(); err != nil { // ends the row group
			return cw.n, err
		}
		start = end
	}
	if err := pw.Close(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

// writerOptions are writeParquet's: snappy, v1 data pages, the sorting
// columns. Every column keeps its page bounds, free text too: parquet-go's
// SkipPageBounds writes a column index whose pages all say ["", ""], and
// Spark (parquet-mr's page-index filtering) then skips every page for
// a filter on notes being non-empty (lake/pagebounds_test.go).
var writerOptions = []parquet.WriterOption{
	parquet.Compression(&parquet.Snappy),
	parquet.DataPageVersion(1), // the widest-read page format (older Spark, DuckDB)
	parquet.PageBufferSize(64 << 10),
	parquet.SortingWriterConfig(parquet.SortingColumns(
		parquet.Ascending("product"), parquet.Ascending("tag"))),
}

// writeRun is how many rows writeParquet writes at a time.
const writeRun = 64

// valuesOf sets row i of vals, column by column, to r's values. String
// values point into r's strings (the writer copies them).
func valuesOf(vals *[releaselake.NumColumns][writeRun]parquet.Value, i int, r *releaselake.Release) {
	for k := range vals {
		switch releaselake.ReleaseColumns[k].Type {
		case releaselake.StringColumn:
			s := *strAt(r, k)
			vals[k][i] = parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s)))
		case releaselake.TimeColumn:
			vals[k][i] = parquet.Int64Value(timeAt(r, k).UnixMicro())
		case releaselake.BoolColumn:
			vals[k][i] = parquet.BooleanValue(*boolAt(r, k))
		}
	}
}

// groupEnd returns where the row group starting at rows[start] ends: after at
// most max rows, at the start of a product if one starts in the second half.
func groupEnd(rows sorted, start, max int) int {
	end := start + max
	if end >= rows.len() {
		return rows.len()
	}
	for b := end; b > start+max/2; b-- {
		if rows.at(b).Product != rows.at(b-1).Product {
			return b
		}
	}
	return end
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// freeText are the string columns whose values are prose or links, which no
// reader filters a table by range on: the stats carry no min or max for
// them (Delta's stats may leave out any column; Spark cuts strings to 32
// characters for the same reason), so that a file's stats stay small and
// cheap (long notes compared row by row were a sixth of a commit's time).
var freeText = map[string]bool{"name": true, "url": true, "notes": true}

// statsOf returns the add action's stats for rows: min and max of the string
// columns but free text and of the timestamp columns (booleans have none, as
// in Spark), no nulls.
// Timestamps are written in milliseconds, as Spark does; min is rounded down
// and max up so the bounds stay true for data skipping.
func statsOf(rows sorted) (string, error) {
	st := stats{
		NumRecords: int64(rows.len()),
		MinValues:  map[string]any{},
		MaxValues:  map[string]any{},
		NullCount:  map[string]int{},
	}
	for _, c := range releaselake.ReleaseColumns {
		st.NullCount[c.Name] = 0
	}
	if rows.len() > 0 {
		// By position in the table: the string columns, then the timestamps.
		var strs, times []int
		for k, c := range releaselake.ReleaseColumns {
			switch {
			case c.Type == releaselake.StringColumn && freeText[c.Name]:
			case c.Type == releaselake.StringColumn:
				strs = append(strs, k)
			case c.Type == releaselake.TimeColumn:
				times = append(times, k)
			}
		}
		lo, hi := make([]string, len(strs)), make([]string, len(strs))
		tlo, thi := make([]int64, len(times)), make([]int64, len(times))
		first := rows.at(0)
		for j, k := range strs {
			lo[j], hi[j] = *strAt(first, k), *strAt(first, k)
		}
		for j, k := range times {
			tlo[j] = timeAt(first, k).UnixMicro() // as writeParquet
			thi[j] = tlo[j]
		}
		for i := 1; i < rows.len(); i++ {
			r := rows.at(i)
			for j, k := range strs {
				if s := *strAt(r, k); s < lo[j] {
					lo[j] = s
				} else if s > hi[j] {
					hi[j] = s
				}
			}
			for j, k := range times {
				t := timeAt(r, k).UnixMicro()
				tlo[j], thi[j] = min(tlo[j], t), max(thi[j], t)
			}
		}
		for j, k := range strs {
			name := releaselake.ReleaseColumns[k].Name
			st.MinValues[name], st.MaxValues[name] = lo[j], hi[j]
		}
		for j, k := range times {
			name := releaselake.ReleaseColumns[k].Name
			st.MinValues[name], st.MaxValues[name] = statTime(floorMilli(tlo[j])), statTime(ceilMilli(thi[j]))
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("stats: %w", err)
	}
	return string(b), nil
}

func floorMilli(us int64) int64 {
	ms := us / 1000
	if us%1000 < 0 {
		ms--
	}
	return ms
}

func ceilMilli(us int64) int64 {
	ms := us / 1000
	if us%1000 > 0 {
		ms++
	}
	return ms
}

func statTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}
