package serving

import (
	"errors"
	"testing"
	"time"
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
