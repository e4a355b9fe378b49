package serving

import (
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"testing"
	"time"
)

func TestHoldGC_turnsTheCollectorOffAndRestoresIt(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	// PaceGC's repacing after each collection (begun by any earlier test
	// that served) would set GOGC between restore and the check: off here.
	defer setBase(setBase(-1))
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }

	for _, before := range []int{100, 50, 800, -1} {
		debug.SetGCPercent(before)
		restore := HoldGC()
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
	orig, origBase := debug.SetGCPercent(100), setBase(100)
	defer func() { debug.SetGCPercent(orig); setBase(origBase) }()
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	live := func() uint64 {
		s := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
		rtmetrics.Read(s)
		return s[0].Value.Uint64()
	}

	// A live heap of a few MiB (a small lake's index): 64 MiB of headroom is
	// many times it, under Pace's 10,000% cap.
	small := make([]byte, 4<<20)
	runtime.GC()
	setBase(100)
	PaceGC()
	if got, l := current(), live(); got <= 100 || uint64(got)*l/100 < GCHeadroom/2 {
		t.Errorf("live heap %d bytes: GOGC %d after Pace; want at least %d bytes of headroom", l, got, GCHeadroom)
	}

	runtime.KeepAlive(small)

	// A heap bigger than the headroom keeps GOGC as set.
	big := make([]*[1 << 20]byte, 2*GCHeadroom>>20)
	for i := range big {
		big[i] = new([1 << 20]byte)
	}
	runtime.GC()
	setBase(150)
	PaceGC()
	if got := current(); got != 150 {
		t.Errorf("live heap %d bytes: GOGC %d after Pace; want 150 as set", live(), got)
	}
	runtime.KeepAlive(big)

	setBase(-1)
	debug.SetGCPercent(-1)
	PaceGC()
	if got := current(); got != -1 {
		t.Errorf("GOGC off: %d after Pace; want it left off", got)
	}
}

// After a collection that finds a heap grown under load, GOGC follows it:
// the goal stays within GCHeadroom of the live heap, not GOGC-fitted-to-a-
// small-heap times it.
func TestPaceGC_followsTheLiveHeapAfterEachCollection(t *testing.T) {
	orig, origBase := debug.SetGCPercent(100), setBase(100)
	defer func() { debug.SetGCPercent(orig); setBase(origBase) }()
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	setBase(100)
	runtime.GC()
	PaceGC()
	small := current()
	big := make([]*[1 << 20]byte, 256)
	for i := range big {
		big[i] = new([1 << 20]byte)
	}
	for range 50 {
		runtime.GC()
		if current() == 100 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := current(); got != 100 {
		t.Fatalf("GOGC %d (was %d on a small heap) with 256 MiB live; want 100: goal within %d MiB of live", got, small, GCHeadroom>>20)
	}
	runtime.KeepAlive(big)
}

// setBase sets gcBasePercent as pace reads it (after each collection, from
// the finalizer's goroutine) and returns what it was.
func setBase(p int) int {
	paceMu.Lock()
	defer paceMu.Unlock()
	old := gcBasePercent
	gcBasePercent = p
	return old
}

// The runtime applies GOGC to the live heap, the stacks and the globals
// together, and its smallest goal is 4 MiB times GOGC/100: a GOGC fitted to
// a small heap alone made a goal of hundreds of MiB, past the headroom.
func TestPaceGC_keepsTheGoalWithinHeadroomOfASmallHeap(t *testing.T) {
	orig, origBase := debug.SetGCPercent(100), setBase(100)
	defer func() { debug.SetGCPercent(orig); setBase(origBase) }()
	runtime.GC()
	PaceGC()
	live, goal := readGC("/gc/heap/live:bytes"), readGC("/gc/heap/goal:bytes")
	if live > 4<<20 {
		t.Fatalf("%d MiB live in the test binary; the test needs a heap under the runtime's 4 MiB minimum", live>>20)
	}
	if limit := live + GCHeadroom + GCHeadroom/16; goal > limit {
		t.Errorf("heap goal %d MiB with %d KiB live; want at most %d MiB (live + %d MiB of headroom)", goal>>20, live>>10, limit>>20, GCHeadroom>>20)
	}
}

// With many deep stacks (a connection's goroutine each) beside a small
// heap, a GOGC fitted to the heap alone multiplied the stacks.
func TestPaceGC_keepsTheGoalWithinHeadroomBesideLargeStacks(t *testing.T) {
	orig, origBase := debug.SetGCPercent(100), setBase(100)
	defer func() { debug.SetGCPercent(orig); setBase(origBase) }()
	read := readGC
	// 256 goroutines parked on ~128 KiB of stack each: 32 MiB of stacks.
	release, parked := make(chan struct{}), make(chan struct{})
	for range 256 {
		go func() { deepStack(128, release, parked) }()
	}
	for range 256 {
		<-parked
	}
	defer close(release)
	runtime.GC()
	PaceGC()
	stacks, live, goal := read("/gc/scan/stack:bytes"), read("/gc/heap/live:bytes"), read("/gc/heap/goal:bytes")
	if stacks < 16<<20 {
		t.Fatalf("the test's goroutines hold %d bytes of stack; want at least 16 MiB to show anything", stacks)
	}
	// The goal may pass live + headroom by the rounding of a percentage.
	if limit := live + GCHeadroom + GCHeadroom/16; goal > limit {
		t.Errorf("heap goal %d MiB with %d MiB live and %d MiB of stacks; want at most %d MiB (live + %d MiB of headroom)",
			goal>>20, live>>20, stacks>>20, limit>>20, GCHeadroom>>20)
	}
}

// deepStack recurses n frames of 1 KiB, says so on parked and waits for
// release.
func deepStack(n int, release, parked chan struct{}) byte {
	var frame [1024]byte
	frame[n%len(frame)] = byte(n)
	if n == 0 {
		parked <- struct{}{}
		<-release
		return frame[0]
	}
	return frame[n%len(frame)] + deepStack(n-1, release, parked)
}

func readGC(name string) uint64 {
	s := []rtmetrics.Sample{{Name: name}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64()
}
