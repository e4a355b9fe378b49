package lake

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/cespare/xxhash/v2"

	"github.com/releaselake/releaselake"
)

// How yellow is laid out in data files, so that a commit writes what changed
// and not the whole table.
//
// Each data file holds a contiguous range of products, whole (a product is
// never split between files), its rows sorted by (product, tag); files do not
// overlap, so together, in the order of their first product, they are the
// table in (product, tag) order. A file holds at most the Store's file rows
// (targetFileRows, 128Ki rows: ~3 MB of Parquet) unless one product alone is
// larger. Each add action carries, besides Delta's stats (row count, min and
// max of every column, so the first and last product), a tag with a
// fingerprint of the file's rows (fingerprintTag): a 64-bit xxhash of every
// column of every row, in order, and of the table's schema.
//
// A commit is handed the whole new table. It cuts the rows at the first
// product of each file of the version below (a product before the first file
// goes with it; one between two files with the earlier), and compares each
// part's row count and fingerprint with its file's: a part that is the same
// keeps its file; a part that changed is written as new files (more than one
// if it grew past the file rows, cut at products) and its old file removed.
// So a new release rewrites one file (≤ 2% of a 10M-row table), and the
// change set (cdf.go) is computed from the changed parts only. A table that
// is not laid out this way (files without a fingerprint, as written before
// this layout or by another engine, or overlapping files) is rewritten whole
// by its next commit, into this layout. Files get small when products leave;
// Optimize (optimize.go) merges runs of small neighbours.

// targetFileRows is the most rows a data file holds, unless one product
// alone has more. One new release rewrites one file of up to this many rows.
const targetFileRows = 1 << 17

// fingerprintTag is the add action tag holding a file's fingerprint.
const fingerprintTag = "releaselake.fingerprint"

// fingerprintSeed starts every fingerprint: the table's schema, so that a
// table whose columns changed rewrites every file (a file must hold every
// column its schema calls required).
var fingerprintSeed = xxhash.Sum64String("releaselake rows v1\n" + schemaString)

// fingerprint returns the fingerprint of rows (fingerprintTag's value).
func fingerprint(rows sorted) string {
	d := xxhash.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], fingerprintSeed)
	d.Write(b[:])
	buf := make([]byte, 0, 64<<10)
	for i := range rows.len() {
		buf = appendRow(buf, rows.at(i))
		if len(buf) >= 60<<10 {
			d.Write(buf)
			buf = buf[:0]
		}
	}
	d.Write(buf)
	return fmt.Sprintf("xxh64:%016x", d.Sum64())
}

// appendRow appends an unambiguous encoding of r's columns to buf: the
// strings, each after its length, then the times as microseconds (what a
// file keeps), then the booleans as a byte each.
func appendRow(buf []byte, r *releaselake.Release) []byte {
	for _, off := range strOffsets {
		s := *(*string)(unsafe.Add(unsafe.Pointer(r), off))
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	for _, off := range timeOffsets {
		buf = binary.LittleEndian.AppendUint64(buf, uint64((*time.Time)(unsafe.Add(unsafe.Pointer(r), off)).UnixMicro()))
	}
	for _, off := range boolOffsets {
		b := byte(0)
		if *(*bool)(unsafe.Add(unsafe.Pointer(r), off)) {
			b = 1
		}
		buf = append(buf, b)
	}
	return buf
}

// The offsets in a Release of the table's columns of each type, in table order.
var strOffsets, timeOffsets, boolOffsets = func() (strs, times, bools []uintptr) {
	for k, c := range releaselake.ReleaseColumns {
		switch c.Type {
		case releaselake.StringColumn:
			strs = append(strs, fieldOffset[k])
		case releaselake.TimeColumn:
			times = append(times, fieldOffset[k])
		case releaselake.BoolColumn:
			bools = append(bools, fieldOffset[k])
		}
	}
	return strs, times, bools
}()

// liveFile is a data file of a version with what the layout needs of its add.
type liveFile struct {
	name        string // lake name
	add         *addFile
	rows        int64  // stats.numRecords; -1 if unknown
	first, last string // its first and last product; "" if unknown
	fingerprint string // "" if it has none
}

// fileStats is the part of an add's stats the layout reads.
type fileStats struct {
	NumRecords *int64 `json:"numRecords"`
	MinValues  struct {
		Product *string `json:"product"`
	} `json:"minValues"`
	MaxValues struct {
		Product *string `json:"product"`
	} `json:"maxValues"`
}

// liveFiles returns st's data files in product order (by first product, then
// name; files without stats last), and whether they are laid out as this
// file describes: each with a row count, a product range and a fingerprint,
// and no two overlapping.
func liveFiles(st *tableState) (files []liveFile, clustered bool) {
	files = make([]liveFile, 0, len(st.files))
	clustered = true
	for name, a := range st.files {
		f := liveFile{name: name, add: a, rows: -1, fingerprint: a.Tags[fingerprintTag]}
		var fs fileStats
		if a.Stats != "" && json.Unmarshal([]byte(a.Stats), &fs) == nil {
			if fs.NumRecords != nil {
				f.rows = *fs.NumRecords
			}
			if fs.MinValues.Product != nil && fs.MaxValues.Product != nil {
				f.first, f.last = *fs.MinValues.Product, *fs.MaxValues.Product
			}
		}
		if f.rows < 1 || f.first == "" || f.fingerprint == "" {
			clustered = false
		}
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b liveFile) int {
		if (a.first == "") != (b.first == "") {
			if a.first == "" {
				return 1
			}
			return -1
		}
		if c := strings.Compare(a.first, b.first); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	for i := 1; i < len(files) && clustered; i++ {
		clustered = files[i-1].last < files[i].first
	}
	return files, clustered
}

// fileNames returns the lake names of files, in their order.
func fileNames(files []liveFile) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.name
	}
	return out
}

// part is the rows of a new version that take the place of some files of the
// version below: rows[lo:hi] of the sorted new rows.
type part struct {
	lo, hi int
	old    []liveFile // the files the part replaces (none for new rows of an empty table)
	same   bool       // the rows are the old file's: it stays
}

// cut splits the new rows into parts, one per file of the version below when
// that is clustered (rows of a product before the first file's go with the
// first file, of one between two files with the earlier), else one part that
// replaces every file.
func cut(rows sorted, files []liveFile, clustered bool) []part {
	if !clustered || len(files) == 0 {
		return []part{{lo: 0, hi: rows.len(), old: files}}
	}
	parts := make([]part, len(files))
	lo := 0
	for i := range files {
		hi := rows.len()
		if i+1 < len(files) {
			next := files[i+1].first
			hi = lo + searchProduct(rows, lo, next)
		}
		parts[i] = part{lo: lo, hi: hi, old: files[i : i+1]}
		lo = hi
	}
	return parts
}

// searchProduct returns the number of rows from lo on whose product sorts
// before p.
func searchProduct(rows sorted, lo int, p string) int {
	n := rows.len() - lo
	i, j := 0, n
	for i < j {
		h := int(uint(i+j) >> 1)
		if rows.at(lo+h).Product < p {
			i = h + 1
		} else {
			j = h
		}
	}
	return i
}

// split cuts rows into runs of at most limit rows, each ending at a
// product's end, as even as the products allow: n rows make about
// ceil(n/limit) runs, each at least ~limit/2 rows unless products are large.
// A product larger than limit is a run of its own.
func split(rows sorted, limit int) [][2]int {
	n := rows.len()
	var out [][2]int
	for lo := 0; lo < n; {
		rest := n - lo
		runs := (rest + limit - 1) / limit
		end := productEnd(rows, lo, lo+(rest+runs-1)/runs, limit)
		out = append(out, [2]int{lo, end})
		lo = end
	}
	return out
}

// productEnd returns the product boundary nearest to want in (lo, n], not
// past lo+limit unless the product at lo alone is larger: then that product's end.
func productEnd(rows sorted, lo, want, limit int) int {
	n := rows.len()
	if want >= n {
		return n
	}
	boundary := func(i int) bool { return i == n || rows.at(i).Product != rows.at(i-1).Product }
	for d := 0; ; d++ {
		up, down := want+d, want-d
		if down > lo && down-lo <= limit && boundary(down) {
			return down
		}
		if up <= n && up-lo <= limit && boundary(up) {
			return up
		}
		if down <= lo && (up > n || up-lo > limit) {
			break
		}
	}
	// The product at lo is larger than max: it ends the run.
	p := rows.at(lo).Product
	return lo + 1 + searchProduct(rows, lo+1, p+"\x00")
}
