package lake

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	pqformat "github.com/parquet-go/parquet-go/format"

	"github.com/releaselake/releaselake"
)

// Reading a snapshot is what a server does at start, so it is done column by
// column rather than through parquet.Read[row]: each column chunk of each row
// group is decoded on its own goroutine straight into the Release fields, with
// no row struct, reflection or parquet.Value in between. Strings are sliced
// out of one copy of each page's bytes (one allocation per page, not per
// value), and dictionary-encoded columns (product, source, repo, date_source)
// give one string per dictionary entry, shared by every row that names it.
// A file whose schema is not the one this package writes is read with
// parquet.Read[row] instead.

// readParquet reads every row of a data file through parquet-go's generic
// reader: the reference the columnar reader is tested against, and its
// fallback for files it does not know.
func readParquet(r io.ReaderAt, size int64) ([]row, error) {
	return noPanic(func() ([]row, error) { return parquet.Read[row](r, size) })
}

// noPanic returns f's results, or an error if it panics: parquet-go indexes
// by what a file's footer and page indexes say, and panics on one that says
// too much (a sorting column or a page beyond the file's), which would take
// down a server loading a file another tool wrote.
func noPanic[T any](f func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, fmt.Errorf("malformed Parquet file: %v", p)
		}
	}()
	return f()
}

// dataFile is a data file opened for reading.
type dataFile struct {
	name     string
	f        File
	pf       *parquet.File
	leaves   [len(readColumns)]int // leaf index in the file of each readColumns entry
	columnar bool                  // the schema is ours: read column by column
}

// readColumn is one column of the table as the columnar reader expects it.
type readColumn struct {
	name string
	kind parquet.Kind
}

// readColumns lists the table's columns (see columns), biggest first so that
// the longest decodes start first; the col* constants are their positions.
var readColumns = [...]readColumn{
	colURL: {"url", parquet.ByteArray}, colTag: {"tag", parquet.ByteArray}, colName: {"name", parquet.ByteArray},
	colPublished: {"published_at", parquet.Int64}, colFirstSeen: {"first_seen_at", parquet.Int64},
	colVersion: {"version", parquet.ByteArray}, colProduct: {"product", parquet.ByteArray},
	colRepo: {"repo", parquet.ByteArray}, colSource: {"source", parquet.ByteArray},
	colDateSource: {"date_source", parquet.ByteArray},
	colPrerelease: {"prerelease", parquet.Boolean}, colYanked: {"yanked", parquet.Boolean},
}

const (
	colURL = iota
	colTag
	colName
	colPublished
	colFirstSeen
	colVersion
	colProduct
	colRepo
	colSource
	colDateSource
	colPrerelease
	colYanked
	numReadColumns
)

// columnValues is one column chunk decoded: strs for a string column, micros
// (microseconds since the epoch) for a timestamp, bools for a boolean.
type columnValues struct {
	strs   []string
	micros []int64
	bools  []bool
	text   []byte // what strs point into when the reader reuses it (rowSink.transient)
}

// openDataFile opens a data file and reads its footer. The caller closes df.f.
func (s *Store) openDataFile(ctx context.Context, name string) (*dataFile, error) {
	f, err := s.fs.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	return newDataFile(name, f)
}

// newDataFile reads the footer of f; it closes f if it cannot.
func newDataFile(name string, f File) (*dataFile, error) {
	pf, err := noPanic(func() (*parquet.File, error) {
		return parquet.OpenFile(f, f.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	})
	if err != nil {
		f.Close()
		return nil, releaselake.Wrap(releaselake.Internal, err, "read data file "+name)
	}
	df := &dataFile{name: name, f: f, pf: pf}
	df.columnar = df.mapColumns()
	return df, nil
}

// mapColumns finds each column among the file's leaves and reports whether all
// are there as this package writes them: required, not repeated, of the
// physical type the columnar reader decodes, timestamps in microseconds (other
// tools write milliseconds or nanoseconds, which parquet.Read converts).
func (df *dataFile) mapColumns() bool {
	schema := df.pf.Schema()
	for i, c := range readColumns {
		leaf, ok := schema.Lookup(c.name)
		if !ok || leaf.Node.Optional() || leaf.Node.Repeated() || leaf.Node.Type().Kind() != c.kind {
			return false
		}
		if c.kind == parquet.Int64 && !isMicros(leaf.Node.Type()) {
			return false
		}
		df.leaves[i] = leaf.ColumnIndex
	}
	return true
}

// isMicros reports whether t is a timestamp in microseconds.
func isMicros(t parquet.Type) bool {
	lt := t.LogicalType()
	if lt == nil {
		return false
	}
	ts, ok := lt.Value.(*pqformat.TimestampType)
	if !ok {
		return false
	}
	_, ok = ts.Unit.Value.(*pqformat.MicroSeconds)
	return ok
}

// rowSink is what readTable hands the rows of a table to: each row group's
// decoded columns (cols, rows base to base+n), or, for a file the columnar
// reader does not know, its rows as Releases. A transient sink copies what it
// keeps of the columns' strings before it returns: they point into buffers
// the reader then reuses for the next row group, instead of into a new copy
// of every page (at 1M rows, ~150 MB of memory a load would otherwise fault
// in, zeroed, page by page).
type rowSink struct {
	columns   func(base, n int, cols *[numReadColumns]columnValues) error
	releases  func(base int, rows []releaselake.Release) error
	transient bool
}

// readTable reads every row of files in order, in row groups: each row
// group's column chunks are decoded by up to GOMAXPROCS goroutines into
// column buffers (reused from one row group to the next), then handed to the
// sink. It returns the number of rows, which the footers must agree with.
func readTable(ctx context.Context, files []*dataFile, sink rowSink) (int, error) {
	total := footerRows(files)
	workers := runtime.GOMAXPROCS(0)
	var cols [numReadColumns]columnValues
	base := 0
	for _, df := range files {
		if !df.columnar {
			rows, err := df.readRows()
			if err == nil && base+len(rows) > total {
				err = releaselake.Errorf(releaselake.Internal, "read data file %s: %d rows; its footer says %d", df.name, len(rows), df.pf.NumRows())
			}
			if err == nil {
				err = sink.releases(base, rows)
			}
			if err != nil {
				return 0, err
			}
			base += len(rows)
			continue
		}
		for _, rg := range df.pf.RowGroups() {
			n := int(rg.NumRows())
			if base+n > total {
				return 0, releaselake.Errorf(releaselake.Internal, "read data file %s: row groups hold more rows than its footer says", df.name)
			}
			chunks := rg.ColumnChunks()
			tasks := make([]func() error, 0, numReadColumns)
			for i := range readColumns {
				c, chunk, vals := &readColumns[i], chunks[df.leaves[i]], &cols[i]
				tasks = append(tasks, func() error {
					if err := readChunk(ctx, c, chunk, vals, n, sink.transient); err != nil {
						return releaselake.Wrap(releaselake.Internal, err, fmt.Sprintf("read data file %s: column %s", df.name, c.name))
					}
					return nil
				})
			}
			if err := runTasks(tasks, workers); err != nil {
				return 0, err
			}
			if err := sink.columns(base, n, &cols); err != nil {
				return 0, err
			}
			base += n
		}
	}
	if base != total {
		return 0, releaselake.Errorf(releaselake.Internal, "read data files: row groups hold %d rows; footers say %d", base, total)
	}
	return base, nil
}

// footerRows returns how many rows the footers of files say they hold.
func footerRows(files []*dataFile) int {
	total := int64(0)
	for _, df := range files {
		total += df.pf.NumRows()
	}
	return int(total)
}

// inParts runs f on [lo, hi) parts of n rows, one per GOMAXPROCS goroutine
// but none of fewer than minRows rows unless n is.
func inParts(n, minRows int, f func(lo, hi int) error) error {
	workers := runtime.GOMAXPROCS(0)
	parts := max(1, min(workers, n/minRows))
	tasks := make([]func() error, 0, parts)
	for w := range parts {
		lo, hi := w*n/parts, (w+1)*n/parts
		tasks = append(tasks, func() error { return f(lo, hi) })
	}
	return runTasks(tasks, workers)
}

// readReleases reads every row of files into one slice, sized once. Each row
// group's rows are written in one pass (a Release is 184 bytes: writing it
// field by field, one column at a time, went through the whole slice twelve
// times and cost more than the decoding).
func readReleases(ctx context.Context, files []*dataFile) ([]releaselake.Release, error) {
	out := make([]releaselake.Release, footerRows(files))
	_, err := readTable(ctx, files, rowSink{
		columns: func(base, n int, cols *[numReadColumns]columnValues) error {
			dst := out[base : base+n]
			return inParts(n, 1, func(lo, hi int) error { assemble(dst, cols, lo, hi); return nil })
		},
		releases: func(base int, rows []releaselake.Release) error { copy(out[base:], rows); return nil },
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// indexBlock is the fewest rows readBlocks adds as one block, but for a
// smaller row group: each block takes one of the index's 65,536 arenas, which
// row groups split GOMAXPROCS ways, empty parts and all, ran out of on a
// many-core machine (64 CPUs: 1,025 row groups).
const indexBlock = 1 << 12

// readBlocks hands every row of files to sink, without making Releases:
// each row group is added in up to GOMAXPROCS blocks, its columns given as
// they were decoded (the sink copies what it keeps).
func readBlocks(ctx context.Context, files []*dataFile, v int64, committedAt time.Time, b releaselake.ColumnSink) error {
	if err := b.Begin(v, committedAt, footerRows(files)); err != nil {
		return err
	}
	blocks := make([]releaselake.Columns, runtime.GOMAXPROCS(0))
	_, err := readTable(ctx, files, rowSink{
		columns: func(base, n int, cols *[numReadColumns]columnValues) error {
			var next atomic.Int32
			return inParts(n, indexBlock, func(lo, hi int) error {
				c := &blocks[next.Add(1)-1]
				*c = releaselake.Columns{
					Product: cols[colProduct].strs[lo:hi], Tag: cols[colTag].strs[lo:hi], Version: cols[colVersion].strs[lo:hi],
					Name: cols[colName].strs[lo:hi], URL: cols[colURL].strs[lo:hi], Source: cols[colSource].strs[lo:hi],
					Repo: cols[colRepo].strs[lo:hi], DateSource: cols[colDateSource].strs[lo:hi],
					PublishedAt: microsToTimes(c.PublishedAt, cols[colPublished].micros[lo:hi]),
					FirstSeenAt: microsToTimes(c.FirstSeenAt, cols[colFirstSeen].micros[lo:hi]),
					Prerelease:  cols[colPrerelease].bools[lo:hi], Yanked: cols[colYanked].bools[lo:hi],
				}
				return b.Add(base+lo, c)
			})
		},
		releases: func(base int, rows []releaselake.Release) error {
			// A foreign file comes whole: added a row group's worth at a
			// time, so that no block holds more text than an arena can.
			var c releaselake.Columns
			for lo := 0; lo < len(rows); lo += 1 << 16 {
				c.Fill(rows[lo:min(lo+1<<16, len(rows))])
				if err := b.Add(base+lo, &c); err != nil {
					return err
				}
			}
			return nil
		},
		transient: true, // Add copies the text it keeps
	})
	return err
}

// microsToTimes returns micros as UTC times, in dst's memory when it is big enough.
func microsToTimes(dst []time.Time, micros []int64) []time.Time {
	dst = slices.Grow(dst[:0], len(micros))[:len(micros)]
	for i, us := range micros {
		dst[i] = time.UnixMicro(us).UTC()
	}
	return dst
}

// assemble writes rows[lo:hi] from the decoded columns.
func assemble(rows []releaselake.Release, cols *[numReadColumns]columnValues, lo, hi int) {
	for i := lo; i < hi; i++ {
		rows[i] = releaselake.Release{
			Product: cols[colProduct].strs[i], Tag: cols[colTag].strs[i], Version: cols[colVersion].strs[i],
			Name: cols[colName].strs[i], URL: cols[colURL].strs[i], Source: cols[colSource].strs[i],
			Repo: cols[colRepo].strs[i], DateSource: cols[colDateSource].strs[i],
			PublishedAt: time.UnixMicro(cols[colPublished].micros[i]).UTC(),
			FirstSeenAt: time.UnixMicro(cols[colFirstSeen].micros[i]).UTC(),
			Prerelease:  cols[colPrerelease].bools[i], Yanked: cols[colYanked].bools[i],
		}
	}
}

// runTasks runs tasks on up to workers goroutines, in order of submission,
// and returns the first error; after an error the tasks not started are
// skipped. A task that panics (parquet-go decoding a page that says more than
// it holds) fails with an error instead: on a goroutine of its own, no caller
// could recover it, and the process would go down.
func runTasks(tasks []func() error, workers int) error {
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	take := func() func() error {
		mu.Lock()
		defer mu.Unlock()
		if first != nil || next == len(tasks) {
			return nil
		}
		next++
		return tasks[next-1]
	}
	for range min(workers, len(tasks)) {
		wg.Go(func() {
			for t := take(); t != nil; t = take() {
				if _, err := noPanic(func() (struct{}, error) { return struct{}{}, t() }); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return first
}

// readRows is the fallback: parquet.Read[row], converted.
func (df *dataFile) readRows() ([]releaselake.Release, error) {
	rows, err := readParquet(df.f, df.f.Size())
	if err != nil {
		return nil, releaselake.Wrap(releaselake.Internal, err, "read data file "+df.name)
	}
	if int64(len(rows)) != df.pf.NumRows() {
		return nil, releaselake.Errorf(releaselake.Internal, "read data file %s: %d rows; its footer says %d", df.name, len(rows), df.pf.NumRows())
	}
	out := make([]releaselake.Release, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

// readChunk decodes one column chunk of n rows into vals, resized to n. With
// reuse, strings point into vals.text, overwritten by the next chunk read into
// vals; otherwise each page's strings point into a copy of their own.
func readChunk(ctx context.Context, c *readColumn, chunk parquet.ColumnChunk, vals *columnValues, n int, reuse bool) error {
	switch c.kind {
	case parquet.ByteArray:
		vals.strs = resize(vals.strs, n)
		vals.text = vals.text[:0]
	case parquet.Int64:
		vals.micros = resize(vals.micros, n)
	default:
		vals.bools = resize(vals.bools, n)
	}
	pages := chunk.Pages()
	defer pages.Close()
	var (
		k     int // values decoded
		dict  parquet.Dictionary
		words []string // dict's values as strings, for a string column
	)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		m := int(p.NumValues())
		if p.NumNulls() != 0 || m > n-k {
			parquet.Release(p)
			return fmt.Errorf("page of %d values (%d null) at row %d of %d", m, p.NumNulls(), k, n)
		}
		data := p.Data()
		if d := p.Dictionary(); d != nil {
			// Dictionary-encoded: the page holds indexes into d.
			if d != dict {
				dict, words = d, nil
				if c.kind == parquet.ByteArray {
					words = dictStrings(d)
				}
			}
			if idx := data.Int32(); len(idx) != m {
				err = fmt.Errorf("dictionary page of %d values has %d indexes", m, len(idx))
			} else {
				err = readIndexed(c, d, words, idx, vals, k)
			}
		} else {
			switch c.kind {
			case parquet.ByteArray:
				values, offsets := data.ByteArray()
				if len(offsets) != m+1 && m > 0 {
					err = fmt.Errorf("string page of %d values has %d offsets", m, len(offsets))
				} else {
					readStrings(values, offsets, vals.strs[k:k+m], vals, reuse)
				}
			case parquet.Int64:
				if got := copy(vals.micros[k:k+m], data.Int64()); got != m {
					err = fmt.Errorf("timestamp page of %d values gave %d", m, got)
				}
			default:
				if got := readBools(p, vals.bools[k:k+m]); got != m {
					err = fmt.Errorf("boolean page of %d values gave %d", m, got)
				}
			}
		}
		parquet.Release(p)
		if err != nil {
			return err
		}
		k += m
	}
	if k != n {
		return fmt.Errorf("%d values; the row group has %d rows", k, n)
	}
	return nil
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// readStrings sets dst from a page's values: one copy of the page's bytes,
// each value a substring of it.
func readStrings(values []byte, offsets []uint32, dst []string, vals *columnValues, reuse bool) {
	if len(offsets) == 0 {
		return
	}
	lo := offsets[0]
	var all string
	if b := values[lo:offsets[len(offsets)-1]]; !reuse {
		all = string(b)
	} else if len(b) > 0 {
		if cap(vals.text)-len(vals.text) < len(b) {
			// A new buffer: the strings already made keep the old one alive.
			vals.text = make([]byte, 0, max(2*cap(vals.text), len(b)))
		}
		start := len(vals.text)
		vals.text = append(vals.text, b...)
		all = unsafe.String(&vals.text[start], len(b))
	}
	for i := range dst {
		dst[i] = all[offsets[i]-lo : offsets[i+1]-lo]
	}
}

// dictStrings returns the values of a byte-array dictionary as strings, all
// substrings of one copy of its bytes.
func dictStrings(d parquet.Dictionary) []string {
	data := d.Page().Data()
	values, offsets := data.ByteArray()
	out := make([]string, d.Len())
	if len(offsets) == 0 {
		return out
	}
	lo := offsets[0]
	all := string(values[lo:offsets[len(offsets)-1]])
	for i := range out {
		out[i] = all[offsets[i]-lo : offsets[i+1]-lo]
	}
	return out
}

// readIndexed sets vals from index k on from the dictionary indexes of a page.
func readIndexed(c *readColumn, d parquet.Dictionary, words []string, idx []int32, vals *columnValues, k int) error {
	for i, j := range idx {
		if j < 0 || int(j) >= d.Len() {
			return fmt.Errorf("dictionary index %d out of range [0, %d)", j, d.Len())
		}
		switch c.kind {
		case parquet.ByteArray:
			vals.strs[k+i] = words[j]
		case parquet.Int64:
			vals.micros[k+i] = d.Index(j).Int64()
		default:
			vals.bools[k+i] = d.Index(j).Boolean()
		}
	}
	return nil
}

// readBools reads a boolean page's values into dst (len(dst) of them) and
// returns how many it read.
func readBools(p parquet.Page, dst []bool) int {
	r, ok := p.Values().(parquet.BooleanReader)
	if !ok {
		return 0
	}
	got := 0
	for got < len(dst) {
		m, err := r.ReadBooleans(dst[got:])
		got += m
		if err != nil || m == 0 {
			break
		}
	}
	return got
}
