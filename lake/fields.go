package lake

import (
	"time"
	"unsafe"

	"github.com/releaselake/releaselake"
)

// fieldOffset is where the field of each column of the table (by position in
// releaselake.ReleaseColumns) lies in a Release, found once through the
// table's accessors. The writer, the stats and the reader touch a million
// rows' fields a column at a time: an offset costs no call per value.
var fieldOffset = func() (off [releaselake.NumColumns]uintptr) {
	r := new(releaselake.Release)
	for k, c := range releaselake.ReleaseColumns {
		var p unsafe.Pointer
		switch c.Type {
		case releaselake.StringColumn:
			p = unsafe.Pointer(r.Str(releaselake.StrCol(c.ID)))
		case releaselake.TimeColumn:
			p = unsafe.Pointer(r.Time(releaselake.TimeCol(c.ID)))
		case releaselake.BoolColumn:
			p = unsafe.Pointer(r.Bool(releaselake.BoolCol(c.ID)))
		}
		off[k] = uintptr(p) - uintptr(unsafe.Pointer(r))
	}
	return off
}()

// strAt, timeAt and boolAt return the field of r for column k of the table,
// which must be of that type.
func strAt(r *releaselake.Release, k int) *string {
	return (*string)(unsafe.Add(unsafe.Pointer(r), fieldOffset[k]))
}

func timeAt(r *releaselake.Release, k int) *time.Time {
	return (*time.Time)(unsafe.Add(unsafe.Pointer(r), fieldOffset[k]))
}

func boolAt(r *releaselake.Release, k int) *bool {
	return (*bool)(unsafe.Add(unsafe.Pointer(r), fieldOffset[k]))
}
