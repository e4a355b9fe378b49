package lake

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/releaselake/releaselake"
)

// row is one row of a yellow data file. Every column is required (not null),
// matching nullable:false in the table's Delta schema. Timestamps are held as
// microseconds since the epoch rather than time.Time because parquet-go decodes
// time.Time through nanoseconds, which overflow outside 1677..2262 (a zero
// time.Time is year 1).
type row struct {
	Product     string `parquet:"product,dict"`
	Tag         string `parquet:"tag"`
	Version     string `parquet:"version"`
	Name        string `parquet:"name"`
	URL         string `parquet:"url"`
	Source      string `parquet:"source,dict"`
	Repo        string `parquet:"repo,dict"`
	DateSource  string `parquet:"date_source,dict"`
	PublishedAt int64  `parquet:"published_at,timestamp(microsecond:utc)"`
	FirstSeenAt int64  `parquet:"first_seen_at,timestamp(microsecond:utc)"`
	Prerelease  bool   `parquet:"prerelease"`
	Yanked      bool   `parquet:"yanked"`
}

// columns lists the table's columns in file order with their Delta types; it
// must agree with row.
var columns = []struct{ name, typ string }{
	{"product", "string"}, {"tag", "string"}, {"version", "string"}, {"name", "string"},
	{"url", "string"}, {"source", "string"}, {"repo", "string"}, {"date_source", "string"},
	{"published_at", "timestamp"}, {"first_seen_at", "timestamp"},
	{"prerelease", "boolean"}, {"yanked", "boolean"},
}

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
	for _, c := range columns {
		s.Fields = append(s.Fields, field{Name: c.name, Type: c.typ, Metadata: map[string]any{}})
	}
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func toRow(r releaselake.Release) row {
	return row{
		Product: r.Product, Tag: r.Tag, Version: r.Version, Name: r.Name, URL: r.URL,
		Source: r.Source, Repo: r.Repo, DateSource: r.DateSource,
		PublishedAt: r.PublishedAt.UnixMicro(), FirstSeenAt: r.FirstSeenAt.UnixMicro(),
		Prerelease: r.Prerelease, Yanked: r.Yanked,
	}
}

func fromRow(r row) releaselake.Release {
	return releaselake.Release{
		Product: r.Product, Tag: r.Tag, Version: r.Version, Name: r.Name, URL: r.URL,
		Source: r.Source, Repo: r.Repo, DateSource: r.DateSource,
		PublishedAt: time.UnixMicro(r.PublishedAt).UTC(), FirstSeenAt: time.UnixMicro(r.FirstSeenAt).UTC(),
		Prerelease: r.Prerelease, Yanked: r.Yanked,
	}
}

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
// metadata: parquet-go's GenericWriter only records them, it does not sort,
// which is why rows must come sorted.
func writeParquet(w io.Writer, rows sorted) (int64, error) {
	cw := &countingWriter{w: w}
	pw := parquet.NewGenericWriter[row](cw,
		parquet.Compression(&parquet.Snappy),
		parquet.DataPageVersion(1), // the widest-read page format (older Spark, DuckDB)
		parquet.PageBufferSize(64<<10),
		parquet.SortingWriterConfig(parquet.SortingColumns(
			parquet.Ascending("product"), parquet.Ascending("tag"))),
	)
	chunk := make([]row, 0, min(rows.len(), rowGroupRows))
	for start := 0; start < rows.len(); {
		end := groupEnd(rows, start, rowGroupRows)
		chunk = chunk[:0]
		for i := start; i < end; i++ {
			chunk = append(chunk, toRow(*rows.at(i)))
		}
		if _, err := pw.Write(chunk); err != nil {
			return cw.n, err
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

// statsOf returns the add action's stats for rows: min and
// max of the string and timestamp columns (booleans have none, as in Spark),
// no nulls. Timestamps are written in milliseconds, as Spark does; min is
// rounded down and max up so the bounds stay true for data skipping.
func statsOf(rows sorted) (string, error) {
	st := stats{
		NumRecords: int64(rows.len()),
		MinValues:  map[string]any{},
		MaxValues:  map[string]any{},
		NullCount:  map[string]int{},
	}
	for _, c := range columns {
		st.NullCount[c.name] = 0
	}
	if rows.len() > 0 {
		strs := func(r *releaselake.Release) [8]*string {
			return [8]*string{&r.Product, &r.Tag, &r.Version, &r.Name, &r.URL, &r.Source, &r.Repo, &r.DateSource}
		}
		var lo, hi [8]string
		for i, s := range strs(rows.at(0)) {
			lo[i], hi[i] = *s, *s
		}
		times := func(r *releaselake.Release) [2]int64 {
			return [2]int64{r.PublishedAt.UnixMicro(), r.FirstSeenAt.UnixMicro()} // as toRow
		}
		tlo := times(rows.at(0))
		thi := tlo
		for k := 1; k < rows.len(); k++ {
			r := rows.at(k)
			for i, s := range strs(r) {
				if *s < lo[i] {
					lo[i] = *s
				} else if *s > hi[i] {
					hi[i] = *s
				}
			}
			for i, t := range times(r) {
				tlo[i], thi[i] = min(tlo[i], t), max(thi[i], t)
			}
		}
		for i := range lo {
			st.MinValues[columns[i].name], st.MaxValues[columns[i].name] = lo[i], hi[i]
		}
		for i, name := range []string{"published_at", "first_seen_at"} {
			st.MinValues[name] = statTime(floorMilli(tlo[i]))
			st.MaxValues[name] = statTime(ceilMilli(thi[i]))
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
