package lake

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"

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
	return parquet.Read[row](r, size)
}

// dataFile is a data file opened for reading.
type dataFile struct {
	name     string
	f        File
	pf       *parquet.File
	leaves   [len(readColumns)]int // leaf index in the file of each readColumns entry
	columnar bool                  // the schema is ours: read column by column
}

// readColumn says how one column of the table lands in a Release.
type readColumn struct {
	name string
	kind parquet.Kind
	str  func(r *releaselake.Release) *string
	ts   func(r *releaselake.Release) *time.Time
	bool func(r *releaselake.Release) *bool
}

// readColumns lists the table's columns (see columns) with their fields,
// biggest first so that the longest decodes start first.
var readColumns = [...]readColumn{
	{name: "url", kind: parquet.ByteArray, str: func(r *releaselake.Release) *string { return &r.URL }},
	{name: "tag", kind: parquet.ByteArray, str: func(r *releaselake.Release) *string { return &r.Tag }},
	{name: "name", kind: parquet.ByteArray, str: func(r *releaselake.Release) *string { return &r.Name }},
	{name: "published_at", kind: parquet.Int64, ts: func(r *releaselake.Release) *time.Time { return &r.PublishedAt }},
	{name: "first_seen_at", kind: parquet.Int64, ts: func(r *releaselake.Release) *time.Time { return &r.FirstSeenAt }},
	{name: "version", kind: parquet.ByteArray, str: func(r *releaselake.Release) *string { return &r.Version }},
	{name: "product", kind: parquet.ByteArray, str: func(r *releaselake.Release) *string { return &r.Product }},
	{name: "repo", kind: parquet.ByteArray, str: func(r *releaselake.Release) *string { return &r.Repo }},
	{name: "source", kind: parquet.ByteArray, str: func(r *releaselake.Release) *string { return &r.Source }},
	{name: "date_source", kind: parquet.ByteArray, str: func(r *releaselake.Release) *string { return &r.DateSource }},
	{name: "prerelease", kind: parquet.Boolean, bool: func(r *releaselake.Release) *bool { return &r.Prerelease }},
	{name: "yanked", kind: parquet.Boolean, bool: func(r *releaselake.Release) *bool { return &r.Yanked }},
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
	pf, err := parquet.OpenFile(f, f.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
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
// physical type the columnar reader decodes.
func (df *dataFile) mapColumns() bool {
	schema := df.pf.Schema()
	for i, c := range readColumns {
		leaf, ok := schema.Lookup(c.name)
		if !ok || leaf.Node.Optional() || leaf.Node.Repeated() || leaf.Node.Type().Kind() != c.kind {
			return false
		}
		df.leaves[i] = leaf.ColumnIndex
	}
	return true
}

// readReleases reads every row of files into one slice, sized once. The
// column chunks of all files are decoded by up to GOMAXPROCS goroutines.
func readReleases(ctx context.Context, files []*dataFile) ([]releaselake.Release, error) {
	total := int64(0)
	for _, df := range files {
		total += df.pf.NumRows()
	}
	out := make([]releaselake.Release, total)
	var tasks []func() error
	base := 0
	for _, df := range files {
		if !df.columnar {
			dst := out[base : base+int(df.pf.NumRows())]
			tasks = append(tasks, func() error { return df.readRows(dst) })
			base += len(dst)
			continue
		}
		for _, rg := range df.pf.RowGroups() {
			dst := out[base : base+int(rg.NumRows())]
			chunks := rg.ColumnChunks()
			for i := range readColumns {
				c, chunk := &readColumns[i], chunks[df.leaves[i]]
				tasks = append(tasks, func() error {
					if err := readChunk(ctx, c, chunk, dst); err != nil {
						return releaselake.Wrap(releaselake.Internal, err, fmt.Sprintf("read data file %s: column %s", df.name, c.name))
					}
					return nil
				})
			}
			base += len(dst)
		}
	}
	if base != len(out) {
		return nil, releaselake.Errorf(releaselake.Internal, "read data files: row groups hold %d rows; footers say %d", base, len(out))
	}
	if err := runTasks(tasks, runtime.GOMAXPROCS(0)); err != nil {
		return nil, err
	}
	return out, nil
}

// runTasks runs tasks on up to workers goroutines, in order of submission,
// and returns the first error; after an error the tasks not started are
// skipped.
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
				if err := t(); err != nil {
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
func (df *dataFile) readRows(dst []releaselake.Release) error {
	rows, err := readParquet(df.f, df.f.Size())
	if err != nil {
		return releaselake.Wrap(releaselake.Internal, err, "read data file "+df.name)
	}
	if len(rows) != len(dst) {
		return releaselake.Errorf(releaselake.Internal, "read data file %s: %d rows; its footer says %d", df.name, len(rows), len(dst))
	}
	for i, r := range rows {
		dst[i] = fromRow(r)
	}
	return nil
}

// readChunk decodes one column chunk into its field of dst, which holds
// exactly the chunk's rows.
func readChunk(ctx context.Context, c *readColumn, chunk parquet.ColumnChunk, dst []releaselake.Release) error {
	pages := chunk.Pages()
	defer pages.Close()
	var (
		k     int // rows of dst filled
		dict  parquet.Dictionary
		words []string // dict's values as strings, for a string column
		bools []bool
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
		n := int(p.NumValues())
		if p.NumNulls() != 0 || n > len(dst)-k {
			parquet.Release(p)
			return fmt.Errorf("page of %d values (%d null) at row %d of %d", n, p.NumNulls(), k, len(dst))
		}
		rows := dst[k : k+n]
		data := p.Data()
		if d := p.Dictionary(); d != nil {
			// Dictionary-encoded: the page holds indexes into d.
			if d != dict {
				dict, words = d, nil
				if c.str != nil {
					words = dictStrings(d)
				}
			}
			err = readIndexed(c, d, words, data.Int32(), rows)
		} else {
			switch {
			case c.str != nil:
				values, offsets := data.ByteArray()
				readStrings(c, values, offsets, rows)
			case c.ts != nil:
				for i, us := range data.Int64() {
					*c.ts(&rows[i]) = time.UnixMicro(us).UTC()
				}
			default:
				bools = readBools(p, bools[:0], n)
				for i, b := range bools {
					*c.bool(&rows[i]) = b
				}
				if len(bools) != n {
					err = fmt.Errorf("boolean page of %d values gave %d", n, len(bools))
				}
			}
		}
		parquet.Release(p)
		if err != nil {
			return err
		}
		k += n
	}
	if k != len(dst) {
		return fmt.Errorf("%d values; the row group has %d rows", k, len(dst))
	}
	return nil
}

// readStrings sets a string field of rows from a page's values: one copy of the
// page's bytes, each value a substring of it.
func readStrings(c *readColumn, values []byte, offsets []uint32, rows []releaselake.Release) {
	if len(offsets) == 0 {
		return
	}
	lo := offsets[0]
	all := string(values[lo:offsets[len(offsets)-1]])
	for i := range rows {
		a, b := offsets[i]-lo, offsets[i+1]-lo
		if a != b {
			*c.str(&rows[i]) = all[a:b]
		}
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

// readIndexed sets a field of rows from the dictionary indexes of a page.
func readIndexed(c *readColumn, d parquet.Dictionary, words []string, idx []int32, rows []releaselake.Release) error {
	for i, j := range idx {
		if j < 0 || int(j) >= d.Len() {
			return fmt.Errorf("dictionary index %d out of range [0, %d)", j, d.Len())
		}
		switch {
		case c.str != nil:
			*c.str(&rows[i]) = words[j]
		case c.ts != nil:
			*c.ts(&rows[i]) = time.UnixMicro(d.Index(j).Int64()).UTC()
		default:
			*c.bool(&rows[i]) = d.Index(j).Boolean()
		}
	}
	return nil
}

// readBools reads the n values of a boolean page into buf.
func readBools(p parquet.Page, buf []bool, n int) []bool {
	if cap(buf) < n {
		buf = make([]bool, n)
	}
	buf = buf[:n]
	r, ok := p.Values().(parquet.BooleanReader)
	if !ok {
		return buf[:0]
	}
	got := 0
	for got < n {
		m, err := r.ReadBooleans(buf[got:])
		got += m
		if err != nil || m == 0 {
			break
		}
	}
	return buf[:got]
}
