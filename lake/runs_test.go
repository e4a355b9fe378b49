package lake_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
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
