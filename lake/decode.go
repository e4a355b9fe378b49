package lake

import (
	"context"
	"fmt"
	"io"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// Decoding one column chunk straight into column buffers: the columnar
// reader's inner loop (read.go).

// columnValues is one column chunk decoded: strs for a string column, micros
// (microseconds since the epoch) for a timestamp, bools for a boolean.
type columnValues struct {
	strs   []string
	micros []int64
	bools  []bool
	text   []byte // what strs point into when the reader reuses it (rowSink.transient)
}

// readChunk decodes one column chunk of n rows into vals, resized to n. With
// reuse, strings point into vals.text, overwritten by the next chunk read into
// vals; otherwise each page's strings point into a copy of their own.
func readChunk(ctx context.Context, kind parquet.Kind, chunk parquet.ColumnChunk, vals *columnValues, n int, reuse bool) error {
	switch kind {
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
				if kind == parquet.ByteArray {
					words = dictStrings(d)
				}
			}
			if idx := data.Int32(); len(idx) != m {
				err = fmt.Errorf("dictionary page of %d values has %d indexes", m, len(idx))
			} else {
				err = readIndexed(kind, d, words, idx, vals, k)
			}
		} else {
			switch kind {
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

// zero sets vals to n zero values: a column the file lacks.
func (vals *columnValues) zero(kind parquet.Kind, n int) {
	switch kind {
	case parquet.ByteArray:
		vals.strs = resize(vals.strs, n)
		clear(vals.strs)
	case parquet.Int64:
		vals.micros = resize(vals.micros, n)
		clear(vals.micros)
	default:
		vals.bools = resize(vals.bools, n)
		clear(vals.bools)
	}
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
func readIndexed(kind parquet.Kind, d parquet.Dictionary, words []string, idx []int32, vals *columnValues, k int) error {
	for i, j := range idx {
		if j < 0 || int(j) >= d.Len() {
			return fmt.Errorf("dictionary index %d out of range [0, %d)", j, d.Len())
		}
		switch kind {
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
