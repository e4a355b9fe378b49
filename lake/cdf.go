package lake

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"path"
	"reflect"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/releaselake/releaselake"
)

// The change set of each commit, written as Delta's Change Data Feed
// (PROTOCOL.md, "Change Data Files" and "Add CDC File"). A commit of this
// lake replaces the files of the parts of the table that changed (files.go),
// each with every row of its products, so a change data reader that fell
// back to the add and remove actions would see the untouched rows of those
// files deleted and inserted again. Hence each commit that changes rows
// writes the rows that changed, and only those, to a file under
// _change_data/ with a _change_type column, named by a cdc action; readers
// then read that file instead of the data files. A commit whose rows are all
// equal to its base's (every column) changes no data: its adds and removes
// say dataChange false, as a compaction's do (optimize.go), and it has no
// cdc action. Version 0 has none either: its rows are all inserts, which
// readers take from its adds, as the protocol says.
//
// The change set is computed here, from the old and new rows of the parts
// that changed, not handed in by the caller: every commit gets a true one,
// whoever commits. The old rows are read from the replaced files, unless the
// caller's rows of the base version (CommitInfo.Base) match those files'
// fingerprints: then they are those rows, and nothing is read.

const (
	// changeDir holds the change data files, relative to the lake root.
	changeDir = yellowDir + "/_change_data"
	// changeTypeColumn is the column a change data file adds to the table's.
	changeTypeColumn = "_change_type"
	// cdfProperty is the table property that turns the change feed on.
	cdfProperty = "delta.enableChangeDataFeed"
	// cdfWriterVersion is the writer version that must respect cdfProperty
	// (protocol versions 4 to 6; 7 would name the changeDataFeed table
	// feature instead).
	cdfWriterVersion = 4
)

// cdcFile is the cdc action: a change data file of its version.
type cdcFile struct {
	Path            string            `json:"path"`
	PartitionValues map[string]string `json:"partitionValues"`
	Size            int64             `json:"size"`
	DataChange      bool              `json:"dataChange"` // always false, as the protocol says
}

// changeFileName names the change data file of commit txn for version v, as
// dataFileName names its data file: the cleaner decides both the same way.
func changeFileName(v int64, txn string, attempt int) string {
	return fmt.Sprintf("cdc-%020d-%s-c%03d.snappy.parquet", v, txn, attempt)
}

// changeSchema is the Parquet schema of change data files: the table's
// columns and _change_type.
var changeSchema = rowSchema(reflect.StructField{
	Name: "ChangeType", Type: reflect.TypeFor[string](), Tag: `parquet:"` + changeTypeColumn + `,dict"`,
})

// cdfProtocol returns the protocol a commit on top of p must write so the
// table declares its change feed, nil if p already does (or is newer than
// this writer knows: it is left as it is).
func cdfProtocol(p *protocol) *protocol {
	if p != nil && p.MinWriterVersion >= cdfWriterVersion {
		return nil
	}
	reader := readerVersion
	if p != nil {
		reader = max(reader, p.MinReaderVersion)
	}
	return &protocol{MinReaderVersion: reader, MinWriterVersion: cdfWriterVersion}
}

// cdfEnabled reports whether a table's metaData turns the change feed on.
func cdfEnabled(md *metaData) bool { return md != nil && md.Configuration[cdfProperty] == "true" }

// withCDF returns a copy of a table's configuration with the change feed on.
func withCDF(conf map[string]string) map[string]string {
	out := maps.Clone(conf)
	if out == nil {
		out = map[string]string{}
	}
	out[cdfProperty] = "true"
	return out
}

// changeRow is one row of a change data file.
type changeRow struct {
	typ releaselake.ChangeType
	rel *releaselake.Release
}

// diffSorted returns the change set from prev to rows, both in (product,
// tag) order, an update as its preimage and then its postimage. A row
// changed when any column differs, to the microsecond (what the lake keeps).
func diffSorted(prev, rows sorted) []changeRow {
	var out []changeRow
	i, j := 0, 0
	for i < prev.len() || j < rows.len() {
		c := 0
		switch {
		case i == prev.len():
			c = 1
		case j == rows.len():
			c = -1
		default:
			c = compareReleases(prev.at(i), rows.at(j))
		}
		switch {
		case c < 0:
			out = append(out, changeRow{releaselake.ChangeDelete, prev.at(i)})
			i++
		case c > 0:
			out = append(out, changeRow{releaselake.ChangeInsert, rows.at(j)})
			j++
		default:
			if !sameColumns(prev.at(i), rows.at(j)) {
				out = append(out, changeRow{releaselake.ChangePreimage, prev.at(i)}, changeRow{releaselake.ChangePostimage, rows.at(j)})
			}
			i, j = i+1, j+1
		}
	}
	return out
}

// sameColumns reports whether a and b hold the same values in every column,
// as the lake stores them.
func sameColumns(a, b *releaselake.Release) bool {
	for k, c := range releaselake.ReleaseColumns {
		switch c.Type {
		case releaselake.StringColumn:
			if *strAt(a, k) != *strAt(b, k) {
				return false
			}
		case releaselake.TimeColumn:
			if timeAt(a, k).UnixMicro() != timeAt(b, k).UnixMicro() {
				return false
			}
		case releaselake.BoolColumn:
			if *boolAt(a, k) != *boolAt(b, k) {
				return false
			}
		}
	}
	return true
}

// writeChangeFile writes a change set as a change data file, straight into
// _change_data/ (Create makes the directory): unlike a data file it needs no
// staging and rename, since no reader looks at a change data file until a
// log entry names it, and that entry is published only once the file is
// closed, which on local disk syncs the file and its directory entry. A file whose commit then fails is an orphan like its data file,
// removed the same way (clean.go).
func (s *Store) writeChangeFile(ctx context.Context, changes []changeRow, v int64, txn string) (*cdcFile, error) {
	var buf bytes.Buffer
	if err := writeChangeParquet(&buf, changes); err != nil {
		return nil, fmt.Errorf("encode change data file: %w", err)
	}
	name, err := s.writeRetrying(ctx, func(attempt int) string {
		return changeDir + "/" + changeFileName(v, txn, attempt)
	}, buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("write change data file: %w", err)
	}
	base := path.Base(name)
	return &cdcFile{
		Path: path.Base(changeDir) + "/" + base, PartitionValues: map[string]string{}, Size: int64(buf.Len()),
	}, nil
}

// writeChangeParquet writes change rows in changeSchema.
func writeChangeParquet(w io.Writer, changes []changeRow) error {
	pw := parquet.NewWriter(w, changeSchema, parquet.Compression(&parquet.Snappy), parquet.DataPageVersion(1))
	var (
		vals  [releaselake.NumColumns][writeRun]parquet.Value
		types [writeRun]parquet.Value
	)
	for lo := 0; lo < len(changes); lo += writeRun {
		n := min(writeRun, len(changes)-lo)
		for i := range n {
			ch := changes[lo+i]
			valuesOf(&vals, i, ch.rel)
			types[i] = parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(string(ch.typ)), len(ch.typ)))
		}
		writers := pw.ColumnWriters()
		for k, c := range releaselake.ReleaseColumns {
			if _, err := writers[k].WriteRowValues(vals[k][:n]); err != nil {
				return fmt.Errorf("column %s: %w", c.Name, err)
			}
		}
		if _, err := writers[releaselake.NumColumns].WriteRowValues(types[:n]); err != nil {
			return fmt.Errorf("column %s: %w", changeTypeColumn, err)
		}
	}
	return pw.Close()
}

// readChangeParquet reads a change data file, through parquet-go's row
// reader converted to changeSchema (a file another engine wrote may differ
// in types or nullability).
func readChangeParquet(r io.ReaderAt, size int64) ([]changeRow, error) {
	return noPanic(func() ([]changeRow, error) {
		f, err := parquet.OpenFile(r, size)
		if err != nil {
			return nil, err
		}
		if _, ok := f.Schema().Lookup(changeTypeColumn); !ok {
			return nil, fmt.Errorf("no %s column", changeTypeColumn)
		}
		pr := parquet.NewReader(f, changeSchema)
		defer pr.Close()
		out := make([]changeRow, 0, f.NumRows())
		buf := make([]parquet.Row, 256)
		for {
			n, err := pr.ReadRows(buf)
			for _, row := range buf[:n] {
				rel := fromValues(row)
				typ := releaselake.ChangeType(row[releaselake.NumColumns].ByteArray())
				switch typ {
				case releaselake.ChangeInsert, releaselake.ChangeDelete, releaselake.ChangePreimage, releaselake.ChangePostimage:
				default:
					return nil, fmt.Errorf("%s %q", changeTypeColumn, typ)
				}
				out = append(out, changeRow{typ: typ, rel: &rel})
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
