package main

import (
	"runtime/debug"
	"testing"
)

func TestHoldGC_turnsTheCollectorOffAndRestoresIt(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }

	for _, before := range []int{100, 50, 800, -1} {
		debug.SetGCPercent(before)
		restore := holdGC()
		if got := current(); got != -1 {
			t.Errorf("GOGC %d: %d while held; want off (-1)", before, got)
		}
		restore()
		restore()
		if got := current(); got != before {
			t.Errorf("GOGC %d: %d after restore; want it back", before, got)
		}
	}
}
