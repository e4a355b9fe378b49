package serving

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

// An outage's failed loads are logged when it begins, when its error changes,
// and every outageLogEvery while it lasts.
func TestOutage_logsBeginningChangesAndEveryFiveMinutes(t *testing.T) {
	var o outage
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	down, gone := errors.New("namenode down"), errors.New("no such file")
	steps := []struct {
		after time.Duration
		err   error
		log   bool
	}{
		{0, down, true}, {10 * time.Second, down, false}, {4 * time.Minute, down, false},
		{5 * time.Minute, down, true}, {5*time.Minute + 10*time.Second, gone, true}, {6 * time.Minute, gone, false},
	}
	for i, s := range steps {
		if got := o.failed(s.err, t0.Add(s.after)); got != s.log {
			t.Errorf("step %d (%v, %v): logged %v, want %v", i, s.after, s.err, got, s.log)
		}
	}
	if o.n != len(steps) {
		t.Errorf("%d failed loads counted, want %d", o.n, len(steps))
	}
}

// fakeLake is a Lake of versions 0..head, version v holding v+1 rows, whose
// reads fail while err is set.
type fakeLake struct {
	mu   sync.Mutex
	head int64
	err  error
}

func (l *fakeLake) set(head int64, err error) { l.mu.Lock(); l.head, l.err = head, err; l.mu.Unlock() }

func (l *fakeLake) Head(context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head, l.err
}

func (l *fakeLake) ReadColumns(ctx context.Context, sink releaselake.ColumnSink) error {
	head, err := l.Head(ctx)
	if err != nil {
		return err
	}
	return l.ReadColumnsAt(ctx, head, sink)
}

func (l *fakeLake) ReadColumnsAt(_ context.Context, v int64, sink releaselake.ColumnSink) error {
	rs := rows(int(v) + 1)
	if err := sink.Begin(v, day(int(v)+1), len(rs)); err != nil {
		return err
	}
	var c releaselake.Columns
	c.Fill(rs)
	return sink.Add(0, &c)
}

func (l *fakeLake) VersionAsOf(_ context.Context, t time.Time) (int64, error) {
	return int64(t.Day() - 1), nil
}

// The engine serves the newest version once loaded, swaps in the next one
// when signalled, and is unready (keeping the index it has) while the lake
// cannot be read.
func TestEngine_loadsSwapsAndReportsReadiness(t *testing.T) {
	l := &fakeLake{head: 2}
	loaded := make(chan int64, 10)
	e := New(l, Options{Poll: time.Hour, Loaded: func(_ context.Context, ix *Index) { loaded <- ix.Version }})
	if _, err := e.Ready(); releaselake.ClassOf(err) != releaselake.Unavailable {
		t.Fatalf("ready before the first load: %v", err)
	}
	e.Preload()
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wait := func(v int64) {
		t.Helper()
		select {
		case got := <-loaded:
			if got != v {
				t.Fatalf("loaded v%d, want v%d", got, v)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("v%d not loaded", v)
		}
	}
	wait(2)
	if ix, err := e.Ready(); err != nil || ix.Version != 2 || ix.Rows() != 3 {
		t.Fatalf("ready: %v, %v", ix, err)
	}
	l.set(3, nil)
	e.Signal()
	wait(3)
	if ix := e.Current(); ix.Version != 3 || ix.Rows() != 4 {
		t.Fatalf("current after the swap: v%d, %d rows", ix.Version, ix.Rows())
	}
	if ix, err := e.AsOf(ctx, day(2)); err != nil || ix.Version != 1 {
		t.Fatalf("as of day 2: %v, %v", ix, err)
	}
	l.set(3, errors.New("namenode down"))
	e.Signal()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := e.Ready(); err != nil {
			if msg := releaselake.MessageOf(err); msg != "lake unreachable: internal error" {
				t.Fatalf("unready says %q", msg)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still ready with the lake unreadable")
		}
	}
	if ix := e.Current(); ix == nil || ix.Version != 3 {
		t.Fatalf("the index served during an outage: %v", ix)
	}
}
