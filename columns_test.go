package releaselake

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// The table names every Release field once, by its JSON name, through the
// accessor of its type, and every column id of each type once.
func TestReleaseColumns_coverRelease(t *testing.T) {
	var r Release
	addr := map[uintptr]string{} // field offset -> column
	base := reflect.ValueOf(&r).Pointer()
	ids := map[ColumnType]map[uint8]bool{}
	names := map[string]bool{}
	for _, c := range ReleaseColumns {
		if names[c.Name] {
			t.Errorf("column %s twice", c.Name)
		}
		names[c.Name] = true
		if ids[c.Type] == nil {
			ids[c.Type] = map[uint8]bool{}
		}
		if ids[c.Type][c.ID] {
			t.Errorf("column %s: id %d of type %d twice", c.Name, c.ID, c.Type)
		}
		ids[c.Type][c.ID] = true
		var p uintptr
		switch c.Type {
		case StringColumn:
			p = reflect.ValueOf(r.Str(StrCol(c.ID))).Pointer()
		case TimeColumn:
			p = reflect.ValueOf(r.Time(TimeCol(c.ID))).Pointer()
		case BoolColumn:
			p = reflect.ValueOf(r.Bool(BoolCol(c.ID))).Pointer()
		}
		addr[p-base] = c.Field
	}
	if len(ids[StringColumn]) != NumStr || len(ids[TimeColumn]) != NumTime || len(ids[BoolColumn]) != NumBool {
		t.Errorf("ids: %d strings, %d times, %d booleans; want %d, %d, %d",
			len(ids[StringColumn]), len(ids[TimeColumn]), len(ids[BoolColumn]), NumStr, NumTime, NumBool)
	}
	typ := reflect.TypeFor[Release]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		json, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if got, ok := addr[f.Offset]; !ok || got != json {
			t.Errorf("Release.%s (json %q): column %q", f.Name, json, got)
		}
	}
	if len(addr) != typ.NumField() {
		t.Errorf("%d columns for %d Release fields", len(addr), typ.NumField())
	}
}

// Fill puts each column of each release in its place.
func TestColumns_Fill(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	rels := []Release{
		{Product: "p", Tag: "t", Version: "v", Name: "n", URL: "u", Source: "s", Repo: "r", DateSource: "d",
			PublishedAt: t0, FirstSeenAt: t0.Add(time.Hour), Prerelease: true, Notes: "notes"},
		{Product: "q", Yanked: true},
	}
	var c Columns
	c.Fill(rels)
	if c.Len() != 2 || c.Str[ColNotes][0] != "notes" || c.Str[ColURL][0] != "u" || !c.Time[ColFirstSeenAt][0].Equal(t0.Add(time.Hour)) ||
		!c.Bool[ColPrerelease][0] || !c.Bool[ColYanked][1] || c.Str[ColProduct][1] != "q" {
		t.Errorf("Fill = %+v", c)
	}
}
