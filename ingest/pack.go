package ingest

import (
	"encoding/binary"
	"slices"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// packed is one product's rows held compactly while Rebuild goes through the
// runs: a Release is 200 bytes of headers besides its strings, so 10M rows
// held as []Release per product, then copied into the one slice Rebuild
// returns, would need 4 GB of headers at that moment. Packed, a row is its
// string bytes (once, and not at all where it repeats the row before or is a
// suffix of its tag, as versions and names often are) and about 10 bytes
// more; the returned rows' strings point into the packed bytes, uncopied.
//
// Times pack as UTC microseconds, which is what Merge leaves; rows with any
// other time stay as they are (rows), so that unpack returns exactly what
// pack was given.
type packed struct {
	n     int
	strs  string // the string values written out, back to back
	codes []byte // per row: a code per string column, the times, the bools
	rows  []releaselake.Release
}

// String codes: an empty string, the previous row's value of the column, a
// suffix of the row's tag (its length follows), or, from strNew on, a value of
// length code-strNew written out in strs.
const (
	strEmpty = iota
	strSame
	strTagSuffix
	strNew
)

// The bools of a row pack into one byte.
var _ [8 - releaselake.NumBool]struct{}

// pack packs rows.
func pack(rows []releaselake.Release) packed {
	if !packable(rows) {
		return packed{n: len(rows), rows: rows}
	}
	var sb strings.Builder
	codes := make([]byte, 0, 16*len(rows))
	var prevTime [releaselake.NumTime]int64
	for i := range rows {
		r := &rows[i]
		for c := range releaselake.StrCol(releaselake.NumStr) {
			s := *r.Str(c)
			switch {
			case s == "":
				codes = binary.AppendUvarint(codes, strEmpty)
			case i > 0 && s == *rows[i-1].Str(c):
				codes = binary.AppendUvarint(codes, strSame)
			case c > releaselake.ColTag && strings.HasSuffix(r.Tag, s):
				codes = binary.AppendUvarint(codes, strTagSuffix)
				codes = binary.AppendUvarint(codes, uint64(len(s)))
			default:
				codes = binary.AppendUvarint(codes, strNew+uint64(len(s)))
				sb.WriteString(s)
			}
		}
		for c := range releaselake.TimeCol(releaselake.NumTime) {
			us := r.Time(c).UnixMicro()
			codes = binary.AppendVarint(codes, us-prevTime[c])
			prevTime[c] = us
		}
		var bools byte
		for c := range releaselake.BoolCol(releaselake.NumBool) {
			if *r.Bool(c) {
				bools |= 1 << c
			}
		}
		codes = append(codes, bools)
	}
	// Both to their exact size: they live until the end of the rebuild.
	return packed{n: len(rows), strs: strings.Clone(sb.String()), codes: append([]byte(nil), codes...)}
}

// packable reports whether every time of rows is UTC to the microsecond, as
// Merge leaves them, so that it unpacks equal (==) to what it was.
func packable(rows []releaselake.Release) bool {
	for i := range rows {
		for c := range releaselake.TimeCol(releaselake.NumTime) {
			t := *rows[i].Time(c)
			if time.UnixMicro(t.UnixMicro()).UTC() != t {
				return false
			}
		}
	}
	return true
}

// appendTo appends p's rows to dst.
func (p packed) appendTo(dst []releaselake.Release) []releaselake.Release {
	if p.rows != nil || p.n == 0 {
		return append(dst, p.rows...)
	}
	dst = slices.Grow(dst, p.n)
	codes, strs := p.codes, p.strs
	uvarint := func() uint64 {
		v, n := binary.Uvarint(codes)
		codes = codes[n:]
		return v
	}
	var prevTime [releaselake.NumTime]int64
	first := len(dst)
	for i := range p.n {
		dst = append(dst, releaselake.Release{})
		r := &dst[len(dst)-1]
		for c := range releaselake.StrCol(releaselake.NumStr) {
			switch code := uvarint(); code {
			case strEmpty:
			case strSame:
				*r.Str(c) = *dst[first+i-1].Str(c)
			case strTagSuffix:
				*r.Str(c) = r.Tag[len(r.Tag)-int(uvarint()):]
			default:
				n := int(code - strNew)
				*r.Str(c), strs = strs[:n], strs[n:]
			}
		}
		for c := range releaselake.TimeCol(releaselake.NumTime) {
			d, n := binary.Varint(codes)
			codes = codes[n:]
			prevTime[c] += d
			*r.Time(c) = time.UnixMicro(prevTime[c]).UTC()
		}
		for c := range releaselake.BoolCol(releaselake.NumBool) {
			*r.Bool(c) = codes[0]&(1<<c) != 0
		}
		codes = codes[1:]
	}
	return dst
}
