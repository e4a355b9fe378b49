package main

import (
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
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

func TestPaceGC_givesASmallHeapHeadroomAndLeavesOffAlone(t *testing.T) {
	orig, origBase := debug.SetGCPercent(100), baseGCPercent
	defer func() { debug.SetGCPercent(orig); baseGCPercent = origBase }()
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	live := func() uint64 {
		s := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
		rtmetrics.Read(s)
		return s[0].Value.Uint64()
	}

	// This test binary's live heap is a few MiB: 64 MiB of headroom is many times it.
	runtime.GC()
	baseGCPercent = 100
	paceGC()
	if got, l := current(), live(); got <= 100 || uint64(got)*l/100 < gcHeadroom/2 {
		t.Errorf("live heap %d bytes: GOGC %d after paceGC; want at least %d bytes of headroom", l, got, gcHeadroom)
	}

	// A heap bigger than the headroom keeps GOGC as set.
	big := make([]*[1 << 20]byte, 2*gcHeadroom>>20)
	for i := range big {
		big[i] = new([1 << 20]byte)
	}
	runtime.GC()
	baseGCPercent = 150
	paceGC()
	if got := current(); got != 150 {
		t.Errorf("live heap %d bytes: GOGC %d after paceGC; want 150 as set", live(), got)
	}
	runtime.KeepAlive(big)

	baseGCPercent = -1
	debug.SetGCPercent(-1)
	paceGC()
	if got := current(); got != -1 {
		t.Errorf("GOGC off: %d after paceGC; want it left off", got)
	}
}
