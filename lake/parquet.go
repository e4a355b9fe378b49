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
var fileSchema = func() *parquet.Schema {
	fields := make([]reflect.StructField, len(releaselake.ReleaseColumns))
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
	return parquet.NewSchema("row", parquet.SchemaOf(reflect.New(reflect.StructOf(fields)).Elem().Interface()))
}()

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

// sortReleases sorts rels by (product, tag), leaving rels as it is. Callers
// keep each product's rows together (Merge appends product by product), so
// it orders those runs by product and then each run by tag, unless a product
// turns up in two runs; a run that comes sorted is only checked.
func sortReleases(rels []releaselake.Release) sorted {
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
	slices.SortFunc(spans, func(a, b span) int { return strings.Compare(rels[a.lo].Product, rels[b.lo].Product) })
	together := true
	for k := 1; k < len(spans); k++ {
		together = together && rels[spans[k].lo].Product != rels[spans[k-1].lo].Product
	}
	if !together {
		for i := range idx {
			idx[i] = int32(i)
		}
		slices.SortFunc(idx, func(a, b int32) int { return compareReleases(&rels[a], &rels[b]) })
		return sorted{rels: rels, idx: idx}
	}
	byTag := func(a, b int32) int { return strings.Compare(rels[a].Tag, rels[b].Tag) }
	pos := 0
	for _, sp := range spans {
		run := idx[pos : pos+sp.hi-sp.lo]
		for k := range run {
			run[k] = int32(sp.lo + k)
		}
		if !slices.IsSortedFunc(run, byTag) {
			slices.SortFunc(run, byTag)
		}
		pos += len(run)
	}
	return sorted{rels: rels, idx: idx}
}

func compareReleases(a, b *releaselake.Release) int {
	if c := strings.Compare(a.Product, b.Product); c != 0 {
		return c
	}
	return strings.Compare(a.Tag, b.Tag)
}

func (t sorted) len() int                      { return len(t.idx) }
func (t sorted) at(i int) *releaselake.Release { return &t.rels[t.idx[i]] }

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
// is why rows must come sorted. Each row group is written column by column,
// straight from the Releases, in runs of writeRun values (as parquet-go's
// own row writer does, so that pages end near PageBufferSize).
func writeParquet(w io.Writer, rows sorted) (int64, error) {
	cw := &countingWriter{w: w}
	pw := parquet.NewWriter(cw, fileSchema,
		parquet.Compression(&parquet.Snappy),
		parquet.DataPageVersion(1), // the widest-read page format (older Spark, DuckDB)
		parquet.PageBufferSize(64<<10),
		parquet.SortingWriterConfig(parquet.SortingColumns(
			parquet.Ascending("product"), parquet.Ascending("tag"))),
	)
	const writeRun = 64
	vals := make([]parquet.Value, writeRun)
	for start := 0; start < rows.len(); {
		end := groupEnd(rows, start, rowGroupRows)
		writers := pw.ColumnWriters()
		for k, c := range releaselake.ReleaseColumns {
			for lo := start; lo < end; lo += writeRun {
				run := vals[:min(writeRun, end-lo)]
				valuesOf(run, c, rows, lo)
				if _, err := writers[k].WriteRowValues(run); err != nil {
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

// valuesOf sets dst to column c of rows lo, lo+1, …. String values point
// into the Releases' strings (the writer copies them).
func valuesOf(dst []parquet.Value, c releaselake.Column, rows sorted, lo int) {
	switch c.Type {
	case releaselake.StringColumn:
		id := releaselake.StrCol(c.ID)
		for i := range dst {
			s := *rows.at(lo + i).Str(id)
			dst[i] = parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s)))
		}
	case releaselake.TimeColumn:
		id := releaselake.TimeCol(c.ID)
		for i := range dst {
			dst[i] = parquet.Int64Value(rows.at(lo + i).Time(id).UnixMicro())
		}
	case releaselake.BoolColumn:
		id := releaselake.BoolCol(c.ID)
		for i := range dst {
			dst[i] = parquet.BooleanValue(*rows.at(lo + i).Bool(id))
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

// statsOf returns the add action's stats for rows: min and max of the string
// and timestamp columns (booleans have none, as in Spark), no nulls.
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
		var lo, hi [releaselake.NumStr]string
		var tlo, thi [releaselake.NumTime]int64
		first := rows.at(0)
		for c := range releaselake.StrCol(releaselake.NumStr) {
			lo[c] = *first.Str(c)
			hi[c] = lo[c]
		}
		for c := range releaselake.TimeCol(releaselake.NumTime) {
			tlo[c] = first.Time(c).UnixMicro() // as writeParquet
			thi[c] = tlo[c]
		}
		for k := 1; k < rows.len(); k++ {
			r := rows.at(k)
			for c := range releaselake.StrCol(releaselake.NumStr) {
				if s := *r.Str(c); s < lo[c] {
					lo[c] = s
				} else if s > hi[c] {
					hi[c] = s
				}
			}
			for c := range releaselake.TimeCol(releaselake.NumTime) {
				t := r.Time(c).UnixMicro()
				tlo[c], thi[c] = min(tlo[c], t), max(thi[c], t)
			}
		}
		for _, c := range releaselake.ReleaseColumns {
			switch c.Type {
			case releaselake.StringColumn:
				st.MinValues[c.Name], st.MaxValues[c.Name] = lo[c.ID], hi[c.ID]
			case releaselake.TimeColumn:
				st.MinValues[c.Name] = statTime(floorMilli(tlo[c.ID]))
				st.MaxValues[c.Name] = statTime(ceilMilli(thi[c.ID]))
			}
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
