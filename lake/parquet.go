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

// sortRows orders rows by (product, tag), the order data files are written in,
// so that page statistics let a reader filtering by product skip most pages.
func sortRows(rows []row) {
	slices.SortFunc(rows, func(a, b row) int {
		if c := strings.Compare(a.Product, b.Product); c != 0 {
			return c
		}
		return strings.Compare(a.Tag, b.Tag)
	})
}

// writeParquet writes rows (already sorted) as one snappy-compressed Parquet
// file and returns the number of bytes written.
func writeParquet(w io.Writer, rows []row) (int64, error) {
	cw := &countingWriter{w: w}
	pw := parquet.NewGenericWriter[row](cw,
		parquet.Compression(&parquet.Snappy),
		parquet.DataPageVersion(1), // the widest-read page format (older Spark, DuckDB)
		parquet.PageBufferSize(64<<10),
		parquet.SortingWriterConfig(parquet.SortingColumns(
			parquet.Ascending("product"), parquet.Ascending("tag"))),
	)
	if _, err := pw.Write(rows); err != nil {
		return cw.n, err
	}
	if err := pw.Close(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
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
// and timestamp columns (booleans have none, as in Spark), no nulls. Timestamps
// are written in milliseconds, as Spark does; min is rounded down and max up so
// the bounds stay true for data skipping.
func statsOf(rows []row) (string, error) {
	st := stats{
		NumRecords: int64(len(rows)),
		MinValues:  map[string]any{},
		MaxValues:  map[string]any{},
		NullCount:  map[string]int{},
	}
	for _, c := range columns {
		st.NullCount[c.name] = 0
	}
	if len(rows) > 0 {
		strs := func(r row) []string {
			return []string{r.Product, r.Tag, r.Version, r.Name, r.URL, r.Source, r.Repo, r.DateSource}
		}
		lo, hi := strs(rows[0]), strs(rows[0])
		tlo := [2]int64{rows[0].PublishedAt, rows[0].FirstSeenAt}
		thi := tlo
		for _, r := range rows[1:] {
			for i, s := range strs(r) {
				lo[i], hi[i] = min(lo[i], s), max(hi[i], s)
			}
			for i, t := range [2]int64{r.PublishedAt, r.FirstSeenAt} {
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
