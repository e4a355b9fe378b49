package lake_test

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

func TestStore_Runs_emptyLakeHasNone(t *testing.T) {
	s, _ := newStore(t)
	runs, err := s.Runs(context.Background(), 10)
	if err != nil || len(runs) != 0 {
		t.Errorf("Runs = %v, %v; want none", runs, err)
	}
}

func TestStore_SaveRun_roundTripsNewestFirst(t *testing.T) {
	s, fsys := newStore(t)
	ctx := context.Background()
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	mk := func(id string, started time.Time) releaselake.Run {
		return releaselake.Run{ID: id, Trigger: "schedule", Status: releaselake.RunRunning, StartedAt: started,
			Version: releaselake.NoVersion, Steps: []releaselake.RunStep{}, Products: []releaselake.RunProduct{}}
	}
	a, b, c, d := mk("a", day), mk("b", day.Add(48*time.Hour)), mk("c", day.Add(24*time.Hour)), mk("d", day.Add(24*time.Hour))
	for _, r := range []releaselake.Run{a, b, c, d} {
		if err := s.SaveRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Overwrite b with its finished record.
	b.Status, b.EndedAt, b.Version, b.Rows = releaselake.RunPartial, b.StartedAt.Add(90*time.Second), 3, 1234
	b.Steps = []releaselake.RunStep{{Name: "crawl", Started: b.StartedAt, Duration: 80 * time.Second}}
	b.Products = []releaselake.RunProduct{{Product: "tableau", Source: "page", Status: "failed", Error: "timeout"}}
	if err := s.SaveRun(ctx, b); err != nil {
		t.Fatal(err)
	}

	all, err := s.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []releaselake.Run{b, d, c, a}; !reflect.DeepEqual(all, want) {
		t.Errorf("Runs(0):\n got  %+v\n want %+v", all, want)
	}
	if two, err := s.Runs(ctx, 2); err != nil || len(two) != 2 || two[0].ID != "b" || two[1].ID != "d" {
		t.Errorf("Runs(2) = %+v, %v; want b, d", two, err)
	}
	if got := names(t, fsys, "_runs", ""); len(got) != 4 {
		t.Errorf("_runs holds %q, want 4 records and no temporary files", got)
	}
}

func TestStore_SaveRun_refusesBadID(t *testing.T) {
	s, _ := newStore(t)
	err := s.SaveRun(context.Background(), releaselake.Run{ID: "20261125T00:00:00Z"})
	if releaselake.ClassOf(err) != releaselake.Invalid {
		t.Errorf("SaveRun with ':' in the id: %v, want class Invalid", err)
	}
}

// Runs(n) reads only the newest records: run ids begin with their start
// second, so it stops at the first id that started before the n-th newest,
// after reading every run of a second it reaches (ids within a second are in
// no particular order).
func TestStore_Runs_readsOnlyTheNewest(t *testing.T) {
	base := localfs.New(t.TempDir())
	var opens atomic.Int64
	fsys := lake.Instrument(base, func(op string, _ time.Duration, _ bool) {
		if op == "open" {
			opens.Add(1)
		}
	})
	s := openStore(t, fsys)
	ctx := context.Background()
	start := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	save := func(started time.Time, suffix string) {
		id := started.UTC().Format("20060102T150405Z") + "-" + suffix
		run := releaselake.Run{ID: id, Trigger: "schedule", Status: releaselake.RunSucceeded, StartedAt: started,
			Version: releaselake.NoVersion, Steps: []releaselake.RunStep{}, Products: []releaselake.RunProduct{}}
		if err := s.SaveRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 { // one a day
		save(start.Add(time.Duration(i)*24*time.Hour), fmt.Sprintf("%04x", i))
	}
	// Three runs in the newest second, their ids in the reverse of their order.
	second := start.Add(40 * 24 * time.Hour)
	save(second.Add(100*time.Millisecond), "ffff")
	save(second.Add(500*time.Millisecond), "8888")
	save(second.Add(900*time.Millisecond), "0000")
	opens.Store(0)
	all, err := s.Runs(ctx, 0)
	if err != nil || len(all) != 43 || opens.Load() != 43 {
		t.Fatalf("Runs(0) = %d records with %d opens, %v; want 43 of each", len(all), opens.Load(), err)
	}

	for _, tc := range []struct{ last, opens int }{
		{1, 3}, // the newest second's three: any may be the newest
		{2, 3},
		{3, 3},
		{5, 5},
		{43, 43},
		{100, 43},
	} {
		opens.Store(0)
		got, err := s.Runs(ctx, tc.last)
		if err != nil {
			t.Fatal(err)
		}
		if want := all[:min(tc.last, len(all))]; !reflect.DeepEqual(got, want) {
			t.Errorf("Runs(%d) = %v, want the newest of Runs(0): %v", tc.last, runIDs(got), runIDs(want))
		}
		if opens.Load() != int64(tc.opens) {
			t.Errorf("Runs(%d) opened %d records, want %d", tc.last, opens.Load(), tc.opens)
		}
	}

	// An id that does not begin with a time: every record is read.
	save(start.Add(-24*time.Hour), "x")
	if err := s.SaveRun(ctx, releaselake.Run{ID: "manual", StartedAt: second.Add(time.Hour), Version: releaselake.NoVersion}); err != nil {
		t.Fatal(err)
	}
	opens.Store(0)
	if got, err := s.Runs(ctx, 1); err != nil || len(got) != 1 || got[0].ID != "manual" || opens.Load() != 45 {
		t.Errorf("Runs(1) with an id of another shape = %v with %d opens, %v; want manual, 45 opens", runIDs(got), opens.Load(), err)
	}
}

func runIDs(runs []releaselake.Run) []string {
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}
