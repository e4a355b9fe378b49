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

	"github.com/parquet-go/parquet-go"
	pqformat "github.com/parquet-go/parquet-go/format"

	"github.com/releaselake/releaselake"
)

// Reading a snapshot is what a server does at start, so it is done column by
// column rather than through parquet-go's row reader: each column chunk of
// each row group is decoded on its own goroutine straight into a column
// buffer (decode.go), with no row struct, reflection or parquet.Value in
// between; the buffers become Releases or index blocks. Strings are sliced
// out of one copy of each page's bytes (one allocation per page, not per
// value), and dictionary-encoded columns (product, source, repo, date_source)
// give one string per dictionary entry, shared by every row that names it.
// A column the table added later (Column.Added) that a file lacks reads as
// empty. A file whose schema is not the one this package writes is read with
// parquet-go's row reader instead (readParquet).

// readParquet reads every row of a data file through parquet-go's row reader,
// converted to fileSchema: the reference the columnar reader is tested
// against, and its fallback for files it does not know.
func readParquet(r io.ReaderAt, size int64) ([]releaselake.Release, error) {
	return noPanic(func() ([]releaselake.Release, error) {
		f, err := parquet.OpenFile(r, size)
		if err != nil {
			return nil, err
		}
		pr := parquet.NewReader(f, fileSchema)
		defer pr.Close()
		out := make([]releaselake.Release, 0, f.NumRows())
		buf := make([]parquet.Row, 256)
		for {
			n, err := pr.ReadRows(buf)
			for _, row := range buf[:n] {
				out = append(out, fromValues(row))
			}
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
		}
	})
}

// fromValues makes a Release of a row of fileSchema. A null (a column the
// file lacks) is the zero value; a null time the Unix epoch.
func fromValues(row parquet.Row) releaselake.Release {
	var r releaselake.Release
	r.PublishedAt, r.FirstSeenAt = time.UnixMicro(0).UTC(), time.UnixMicro(0).UTC()
	for _, v := range row {
		k := v.Column()
		if k < 0 || k >= len(releaselake.ReleaseColumns) || v.IsNull() {
			continue
		}
		switch c := &releaselake.ReleaseColumns[k]; c.Type {
		case releaselake.StringColumn:
			*r.Str(releaselake.StrCol(c.ID)) = string(v.ByteArray())
		case releaselake.TimeColumn:
			*r.Time(releaselake.TimeCol(c.ID)) = time.UnixMicro(v.Int64()).UTC()
		case releaselake.BoolColumn:
			*r.Bool(releaselake.BoolCol(c.ID)) = v.Boolean()
		}
	}
	return r
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
	leaves   [releaselake.NumColumns]int // leaf index in the file of each column of the table; -1: absent
	columnar bool                        // the schema is ours: read column by column
}

// kindOf is the Parquet physical type of each column type.
var kindOf = [...]parquet.Kind{
	releaselake.StringColumn: parquet.ByteArray, releaselake.TimeColumn: parquet.Int64, releaselake.BoolColumn: parquet.Boolean,
}

// decodeOrder lists the table's columns (by position) biggest first, so that
// the longest decodes start first: plain strings, timestamps, dictionary
// strings, booleans.
var decodeOrder = func() []int {
	weight := func(c releaselake.Column) int {
		switch {
		case c.Type == releaselake.StringColumn && !c.Dict:
			return 0
		case c.Type == releaselake.TimeColumn:
			return 1
		case c.Type == releaselake.StringColumn:
			return 2
		}
		return 3
	}
	order := make([]int, releaselake.NumColumns)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return weight(releaselake.ReleaseColumns[a]) - weight(releaselake.ReleaseColumns[b])
	})
	return order
}()

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
// tools write milliseconds or nanoseconds, which readParquet converts). A
// column added to the table after the file was written may be absent.
func (df *dataFile) mapColumns() bool {
	schema := df.pf.Schema()
	for i, c := range releaselake.ReleaseColumns {
		leaf, ok := schema.Lookup(c.Name)
		if !ok && c.Added {
			df.leaves[i] = -1
			continue
		}
		kind := kindOf[c.Type]
		if !ok || leaf.Node.Optional() || leaf.Node.Repeated() || leaf.Node.Type().Kind() != kind {
			return false
		}
		if kind == parquet.Int64 && !isMicros(leaf.Node.Type()) {
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

// decoded is a row group's columns as decoded, by position in the table.
type decoded [releaselake.NumColumns]columnValues

// rowSink is what readTable hands the rows of a table to: each row group's
// decoded columns (cols, rows base to base+n), or, for a file the columnar
// reader does not know, its rows as Releases. A transient sink copies what it
// keeps of the columns' strings before it returns: they point into buffers
// the reader then reuses for the next row group, instead of into a new copy
// of every page (at 1M rows, ~150 MB of memory a load would otherwise fault
// in, zeroed, page by page).
type rowSink struct {
	columns   func(base, n int, cols *decoded) error
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
	var cols decoded
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
			tasks := make([]func() error, 0, len(decodeOrder))
			for _, i := range decodeOrder {
				c, vals := &releaselake.ReleaseColumns[i], &cols[i]
				if df.leaves[i] < 0 {
					vals.zero(kindOf[c.Type], n)
					continue
				}
				chunk := chunks[df.leaves[i]]
				tasks = append(tasks, func() error {
					if err := readChunk(ctx, kindOf[c.Type], chunk, vals, n, sink.transient); err != nil {
						return releaselake.Wrap(releaselake.Internal, err, fmt.Sprintf("read data file %s: column %s", df.name, c.Name))
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
		columns: func(base, n int, cols *decoded) error {
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
		columns: func(base, n int, cols *decoded) error {
			var next atomic.Int32
			return inParts(n, indexBlock, func(lo, hi int) error {
				c := &blocks[next.Add(1)-1]
				for k, col := range releaselake.ReleaseColumns {
					switch col.Type {
					case releaselake.StringColumn:
						c.Str[col.ID] = cols[k].strs[lo:hi]
					case releaselake.TimeColumn:
						c.Time[col.ID] = microsToTimes(c.Time[col.ID], cols[k].micros[lo:hi])
					case releaselake.BoolColumn:
						c.Bool[col.ID] = cols[k].bools[lo:hi]
					}
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
func assemble(rows []releaselake.Release, cols *decoded, lo, hi int) {
	for i := lo; i < hi; i++ {
		r := &rows[i]
		for k := range cols {
			switch releaselake.ReleaseColumns[k].Type {
			case releaselake.StringColumn:
				*strAt(r, k) = cols[k].strs[i]
			case releaselake.TimeColumn:
				*timeAt(r, k) = time.UnixMicro(cols[k].micros[i]).UTC()
			case releaselake.BoolColumn:
				*boolAt(r, k) = cols[k].bools[i]
			}
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

// readRows is the fallback: readParquet.
func (df *dataFile) readRows() ([]releaselake.Release, error) {
	rows, err := readParquet(df.f, df.f.Size())
	if err != nil {
		return nil, releaselake.Wrap(releaselake.Internal, err, "read data file "+df.name)
	}
	if int64(len(rows)) != df.pf.NumRows() {
		return nil, releaselake.Errorf(releaselake.Internal, "read data file %s: %d rows; its footer says %d", df.name, len(rows), df.pf.NumRows())
	}
	return rows, nil
}
