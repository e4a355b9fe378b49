package lake

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

type bytesFile struct{ *bytes.Reader }

func (b bytesFile) Size() int64  { return b.Reader.Size() }
func (b bytesFile) Close() error { return nil }

// row is a row of a data file as a hand-written struct: what parquet-go
// derives from it is fileSchema (TestFileSchema_asHandWritten).
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
	Notes       string `parquet:"notes"`
}

func fromRow(r row) releaselake.Release {
	return releaselake.Release{
		Product: r.Product, Tag: r.Tag, Version: r.Version, Name: r.Name, URL: r.URL,
		Source: r.Source, Repo: r.Repo, DateSource: r.DateSource,
		PublishedAt: time.UnixMicro(r.PublishedAt).UTC(), FirstSeenAt: time.UnixMicro(r.FirstSeenAt).UTC(),
		Prerelease: r.Prerelease, Yanked: r.Yanked, Notes: r.Notes,
	}
}

// oddRows are rows a reader gets wrong first: empty strings, the zero time
// (year 1), the extremes of a microsecond timestamp, unicode, long values.
func oddRows() []row {
	rows := []row{
		{Product: "a", Tag: "v1.0.0", Version: "1.0.0", Name: "", URL: "", Source: "", Repo: "", DateSource: "",
			PublishedAt: releaselake.Release{}.PublishedAt.UnixMicro(), FirstSeenAt: 0},
		{Product: "a", Tag: "v2.0.0-rc.1", Version: "2.0.0-rc.1", Name: "Ünïcødé ✓ 日本語 🚀", URL: "https://example.org/ä?q=ü#ß",
			Source: "github-release", Repo: "o/ä", DateSource: "tagger",
			PublishedAt: math.MinInt64, FirstSeenAt: math.MaxInt64, Prerelease: true, Yanked: true,
			Notes: "## What's new\n\n* <script>alert(1)</script> ✓ 日本語\r\n"},
		{Product: "ä", Tag: "\x00", Version: "", Name: string(bytes.Repeat([]byte("long "), 10000)), URL: "https://u.example/ü?q=\"<>",
			Source: "pypi", Repo: "", DateSource: "upload", PublishedAt: -1, FirstSeenAt: 1, Yanked: true,
			Notes: "notes\x00\xff"},
		{Product: "", Tag: "", PublishedAt: 1_700_000_000_123_456, FirstSeenAt: -62135596800000000},
	}
	for i := range 3000 { // several pages, dictionary columns with many entries
		rows = append(rows, row{
			Product: fmt.Sprintf("p%04d", i%700), Tag: fmt.Sprintf("v%d.%d", i/10, i%10), Version: fmt.Sprintf("%d.%d", i/10, i%10),
			Name: fmt.Sprintf("release %d", i), URL: fmt.Sprintf("https://github.com/o/p%d/releases/tag/v%d", i%700, i),
			Source: []string{"github-release", "pypi", ""}[i%3], Repo: fmt.Sprintf("o/p%d", i%700), DateSource: "upload",
			PublishedAt: int64(i) * 1_000_003, FirstSeenAt: int64(i % 5), Prerelease: i%3 == 0, Yanked: i%7 == 0,
			Notes: []string{"", fmt.Sprintf("Fixes #%d", i)}[i%2],
		})
	}
	return rows
}

// readBoth reads a file with the columnar reader and with parquet.Read[row].
func readBoth(t *testing.T, data []byte) (columnar bool, got, want []releaselake.Release) {
	t.Helper()
	df, err := newDataFile("yellow/test.parquet", bytesFile{bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	got, err = readReleases(context.Background(), []*dataFile{df, df})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readParquet(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		want = append(want, rows...)
	}
	// The index reader gives the same rows, in the same order.
	ix, err := indexOf([]*dataFile{df, df}, 3)
	if err != nil {
		t.Fatal(err)
	}
	fromIndex := make([]releaselake.Release, ix.Rows())
	for i := range fromIndex {
		fromIndex[i] = ix.Row(i)
	}
	assertSameReleases(t, fromIndex, want)
	return df.columnar, got, want
}

func assertSameReleases(t *testing.T, got, want []releaselake.Release) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d rows; parquet.Read gives %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("row %d:\n got %#v\nwant %#v", i, got[i], want[i])
		}
	}
}

func TestReadReleases_sameAsParquetRead(t *testing.T) {
	rows := oddRows()
	var buf bytes.Buffer
	if err := writeRows(&buf, rows); err != nil {
		t.Fatal(err)
	}
	columnar, got, want := readBoth(t, buf.Bytes())
	if !columnar {
		t.Fatal("a file written by writeParquet is not read column by column")
	}
	assertSameReleases(t, got, want)
}

// Files written otherwise: many row groups and small pages, columns in
// another order with one more (and without notes, as files written before
// it), every column dictionary-encoded, and schemas the columnar reader
// leaves to readParquet.
func TestReadReleases_otherLayouts(t *testing.T) {
	rows := oddRows()
	type reordered struct {
		Yanked      bool   `parquet:"yanked"`
		Extra       string `parquet:"extra"`
		PublishedAt int64  `parquet:"published_at,timestamp(microsecond:utc)"`
		URL         string `parquet:"url"`
		Tag         string `parquet:"tag"`
		Version     string `parquet:"version"`
		Name        string `parquet:"name"`
		Source      string `parquet:"source"`
		Repo        string `parquet:"repo"`
		DateSource  string `parquet:"date_source"`
		FirstSeenAt int64  `parquet:"first_seen_at,timestamp(microsecond:utc)"`
		Prerelease  bool   `parquet:"prerelease"`
		Product     string `parquet:"product"`
	}
	type allDict struct {
		Product     string `parquet:"product,dict"`
		Tag         string `parquet:"tag,dict"`
		Version     string `parquet:"version,dict"`
		Name        string `parquet:"name,dict"`
		URL         string `parquet:"url,dict"`
		Source      string `parquet:"source,dict"`
		Repo        string `parquet:"repo,dict"`
		DateSource  string `parquet:"date_source,dict"`
		PublishedAt int64  `parquet:"published_at,timestamp(microsecond:utc),dict"`
		FirstSeenAt int64  `parquet:"first_seen_at,timestamp(microsecond:utc),dict"`
		Prerelease  bool   `parquet:"prerelease"`
		Yanked      bool   `parquet:"yanked"`
		Notes       string `parquet:"notes,dict"`
	}
	type optional struct {
		Product     string `parquet:"product"`
		Tag         string `parquet:"tag"`
		Version     string `parquet:"version"`
		Name        string `parquet:"name,optional"`
		URL         string `parquet:"url"`
		Source      string `parquet:"source"`
		Repo        string `parquet:"repo"`
		DateSource  string `parquet:"date_source"`
		PublishedAt int64  `parquet:"published_at,timestamp(microsecond:utc)"`
		FirstSeenAt int64  `parquet:"first_seen_at,timestamp(microsecond:utc)"`
		Prerelease  bool   `parquet:"prerelease"`
		Yanked      bool   `parquet:"yanked"`
		Notes       string `parquet:"notes"`
	}
	// Other tools write Delta timestamps in other units (Spark's
	// outputTimestampType=TIMESTAMP_MILLIS, pyarrow's nanoseconds).
	type otherUnits struct {
		Product     string    `parquet:"product"`
		Tag         string    `parquet:"tag"`
		Version     string    `parquet:"version"`
		Name        string    `parquet:"name"`
		URL         string    `parquet:"url"`
		Source      string    `parquet:"source"`
		Repo        string    `parquet:"repo"`
		DateSource  string    `parquet:"date_source"`
		PublishedAt int64     `parquet:"published_at,timestamp(millisecond:utc)"`
		FirstSeenAt time.Time `parquet:"first_seen_at,timestamp(nanosecond:utc)"`
		Prerelease  bool      `parquet:"prerelease"`
		Yanked      bool      `parquet:"yanked"`
	}
	write := func(t *testing.T, f func(w *bytes.Buffer) error) []byte {
		t.Helper()
		var buf bytes.Buffer
		if err := f(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	cases := []struct {
		name     string
		data     func(t *testing.T) []byte
		columnar bool
	}{
		{"row groups and small pages", func(t *testing.T) []byte {
			return write(t, func(w *bytes.Buffer) error {
				return writeAs(w, rows, parquet.MaxRowsPerRowGroup(700), parquet.PageBufferSize(512))
			})
		}, true},
		{"product not a dictionary, products across row groups", func(t *testing.T) []byte {
			// Plain-encoded product strings point into the reader's reused
			// buffers: whatever keeps one must copy it.
			var rs []reordered
			for _, r := range rows {
				rs = append(rs, reordered{r.Yanked, "x", r.PublishedAt, r.URL, r.Tag, r.Version, r.Name, r.Source, r.Repo, r.DateSource, r.FirstSeenAt, r.Prerelease, r.Product})
			}
			slices.SortStableFunc(rs, func(a, b reordered) int { return strings.Compare(a.Product, b.Product) })
			return write(t, func(w *bytes.Buffer) error { return writeAs(w, rs, parquet.MaxRowsPerRowGroup(700)) })
		}, true},
		{"columns reordered, one more, no notes (as written before the column)", func(t *testing.T) []byte {
			var rs []reordered
			for _, r := range rows {
				rs = append(rs, reordered{r.Yanked, "x", r.PublishedAt, r.URL, r.Tag, r.Version, r.Name, r.Source, r.Repo, r.DateSource, r.FirstSeenAt, r.Prerelease, r.Product})
			}
			return write(t, func(w *bytes.Buffer) error { return writeAs(w, rs) })
		}, true},
		{"every column a dictionary", func(t *testing.T) []byte {
			var rs []allDict
			for _, r := range rows {
				rs = append(rs, allDict(r))
			}
			return write(t, func(w *bytes.Buffer) error { return writeAs(w, rs, parquet.MaxRowsPerRowGroup(1000)) })
		}, true},
		{"an optional column", func(t *testing.T) []byte {
			var rs []optional
			for _, r := range rows {
				rs = append(rs, optional(r))
			}
			return write(t, func(w *bytes.Buffer) error { return writeAs(w, rs) })
		}, false},
		{"an optional column, more rows than an index block holds", func(t *testing.T) []byte {
			// Read whole by the fallback, then added to an index a block at a time.
			var rs []optional
			for len(rs) <= 1<<16 {
				for _, r := range rows {
					rs = append(rs, optional(r))
				}
			}
			return write(t, func(w *bytes.Buffer) error { return writeAs(w, rs) })
		}, false},
		{"timestamps in milliseconds and nanoseconds", func(t *testing.T) []byte {
			var rs []otherUnits
			for _, r := range rows[4:] {
				rs = append(rs, otherUnits{r.Product, r.Tag, r.Version, r.Name, r.URL, r.Source, r.Repo, r.DateSource,
					r.PublishedAt / 1000, time.UnixMicro(r.FirstSeenAt).UTC(), r.Prerelease, r.Yanked})
			}
			return write(t, func(w *bytes.Buffer) error { return writeAs(w, rs) })
		}, false},
		{"no rows", func(t *testing.T) []byte {
			return write(t, func(w *bytes.Buffer) error { _, err := writeParquet(w, sortReleases(nil)); return err })
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			columnar, got, want := readBoth(t, c.data(t))
			if columnar != c.columnar {
				t.Errorf("read column by column: %v; want %v", columnar, c.columnar)
			}
			assertSameReleases(t, got, want)
		})
	}
}

func TestReadReleases_corruptFile(t *testing.T) {
	var buf bytes.Buffer
	if err := writeRows(&buf, oddRows()); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	// Garble the middle of the column data, leaving the footer readable.
	for i := len(data) / 3; i < len(data)/3+2000; i++ {
		data[i] ^= 0x5a
	}
	df, err := newDataFile("yellow/bad.parquet", bytesFile{bytes.NewReader(data)})
	if err != nil {
		return // refused at the footer: fine too
	}
	if _, err := readReleases(context.Background(), []*dataFile{df}); err == nil {
		t.Fatal("a garbled data file was read without an error")
	} else if releaselake.ClassOf(err) != releaselake.Internal {
		t.Errorf("error class %v; want Internal: %v", releaselake.ClassOf(err), err)
	}
}

func writeAs[T any](w *bytes.Buffer, rows []T, opts ...parquet.WriterOption) error {
	return parquet.Write(w, rows, opts...)
}

// writeRows writes rows as Commit writes a data file.
func writeRows(w io.Writer, rows []row) error {
	rels := make([]releaselake.Release, len(rows))
	for i, r := range rows {
		rels[i] = fromRow(r)
	}
	_, err := writeParquet(w, sortReleases(rels))
	return err
}

// Each block the index reader adds takes one of the index's 65,536 arenas: a
// table of many small row groups, read on many CPUs, must not run out of them.
func TestReadIndex_manyRowGroupsOnManyCPUs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(64))
	rows := oddRows()[:1100]
	var buf bytes.Buffer
	if err := writeAs(&buf, rows, parquet.MaxRowsPerRowGroup(1)); err != nil {
		t.Fatal(err)
	}
	df, err := newDataFile("yellow/small-groups.parquet", bytesFile{bytes.NewReader(buf.Bytes())})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(df.pf.RowGroups()); n*64 <= math.MaxUint16+1 {
		t.Fatalf("%d row groups: too few for the test", n)
	}
	ix, err := indexOf([]*dataFile{df}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Rows() != len(rows) {
		t.Fatalf("%d rows; want %d", ix.Rows(), len(rows))
	}
	for i, r := range rows {
		if got, want := ix.Row(i), fromRow(r); !reflect.DeepEqual(got, want) {
			t.Fatalf("row %d:\n got %#v\nwant %#v", i, got, want)
		}
	}
}

// A task that panics fails runTasks with an error; the process goes on.
func TestRunTasks_panicIsAnError(t *testing.T) {
	tasks := []func() error{
		func() error { return nil },
		func() error { var s []int; _ = s[3]; return nil },
		func() error { return nil },
	}
	err := runTasks(tasks, 2)
	if err == nil || !strings.Contains(err.Error(), "malformed Parquet file") {
		t.Fatalf("runTasks with a panicking task: %v, want an error", err)
	}
}

// indexOf reads files into an index, as version v.
func indexOf(files []*dataFile, v int64) (*serving.Index, error) {
	b := serving.NewIndexBuilder()
	if err := readBlocks(context.Background(), files, v, time.Time{}, b); err != nil {
		return nil, err
	}
	return b.Build(), nil
}
