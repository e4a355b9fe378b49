package main

import (
	"runtime/debug"
	"testing"
)

func TestHoldGC_raisesAndRestoresTheGCPercent(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }

	for _, c := range []struct{ before, during int }{{100, 400}, {50, 400}, {800, 800}, {-1, -1}} {
		debug.SetGCPercent(c.before)
		restore := holdGC(400)
		if got := current(); got != c.during {
			t.Errorf("GOGC %d: %d while held; want %d", c.before, got, c.during)
		}
		restore()
		restore()
		if got := current(); got != c.before {
			t.Errorf("GOGC %d: %d after restore; want it back", c.before, got)
		}
	}
}
