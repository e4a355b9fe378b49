package lake_test

import (
	"context"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
)

func TestStore_AppendRed_landsAtDayAndRunPath(t *testing.T) {
	s, fsys := newStore(t)
	at := time.Date(2026, 11, 26, 8, 30, 0, 0, tokyo) // 2026-11-25 in UTC
	lines := [][]byte{[]byte(`{"a":1}`), []byte("{\n  \"b\": [1, 2]\n}")}
	if err := s.AppendRed(context.Background(), "20261125T233000Z-3f9a", at, "github", lines); err != nil {
		t.Fatal(err)
	}
	const want = "red/dt=2026-11-25/run=20261125T233000Z-3f9a/github.jsonl"
	if got := lake.RedPath("20261125T233000Z-3f9a", at, "github"); got != want {
		t.Errorf("RedPath = %s, want %s", got, want)
	}
	if got := string(readAll(t, fsys, want)); got != "{\"a\":1}\n{\"b\":[1,2]}\n" {
		t.Errorf("%s holds %q", want, got)
	}
}

func TestStore_AppendRed_neverOverwrites(t *testing.T) {
	s, fsys := newStore(t)
	ctx := context.Background()
	if err := s.AppendRed(ctx, "run1", clockTime, "pypi", [][]byte{[]byte(`{"first":true}`)}); err != nil {
		t.Fatal(err)
	}
	err := s.AppendRed(ctx, "run1", clockTime, "pypi", [][]byte{[]byte(`{"second":true}`)})
	if releaselake.ClassOf(err) != releaselake.Conflict {
		t.Errorf("second AppendRed: %v, want class Conflict", err)
	}
	name := lake.RedPath("run1", clockTime, "pypi")
	if got := string(readAll(t, fsys, name)); got != "{\"first\":true}\n" {
		t.Errorf("%s holds %q, want the first answer", name, got)
	}
	if got := names(t, fsys, "red/dt=2026-11-25/run=run1", ""); len(got) != 1 {
		t.Errorf("run directory holds %q, want one file", got)
	}
}

func TestStore_AppendRed_refusesBadNamesAndLines(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for _, tc := range []struct{ run, source, line string }{
		{"2026-11-25T00:00:00Z", "github", "{}"}, // ':' is refused by HDFS
		{"../up", "github", "{}"},
		{"", "github", "{}"},
		{"run1", "a/b", "{}"},
		{"run1", "github", "{\n not json"},
	} {
		err := s.AppendRed(ctx, tc.run, clockTime, tc.source, [][]byte{[]byte(tc.line)})
		if releaselake.ClassOf(err) != releaselake.Invalid {
			t.Errorf("AppendRed(%q, %q, %q) = %v, want class Invalid", tc.run, tc.source, tc.line, err)
		}
	}
}
