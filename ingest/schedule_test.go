package ingest

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestSchedule_nextRunIsMidnightInItsTimeZone(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tz := range []string{"UTC", "Europe/Berlin", "America/Los_Angeles"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := Schedule("0 0 * * *", loc, log, func(context.Context, time.Time) {})
		if err != nil {
			t.Fatal(err)
		}
		next, err := sc.NextRun()
		sc.Stop()
		if err != nil {
			t.Fatal(err)
		}
		local := next.In(loc)
		if local.Hour() != 0 || local.Minute() != 0 || !next.After(time.Now()) || next.Sub(time.Now()) > 25*time.Hour {
			t.Errorf("%s: next run %v (%v local)", tz, next, local)
		}
	}
}

func TestSchedule_refusesBadSpec(t *testing.T) {
	_, err := Schedule("every day", time.UTC, slog.New(slog.NewTextHandler(io.Discard, nil)), func(context.Context, time.Time) {})
	if err == nil || !strings.Contains(err.Error(), `schedule "every day"`) {
		t.Fatalf("err %v", err)
	}
}

func TestSchedule_runsOnTicksWithSecondsSpec(t *testing.T) {
	ticks := make(chan time.Time, 10)
	sc, err := Schedule("* * * * * *", time.UTC, slog.New(slog.NewTextHandler(io.Discard, nil)), func(_ context.Context, tick time.Time) { ticks <- tick })
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Stop()
	select {
	case tick := <-ticks:
		if tick.Nanosecond() != 0 {
			t.Errorf("tick %v not cut to the second", tick)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no tick within 10 s of an every-second schedule")
	}
}
