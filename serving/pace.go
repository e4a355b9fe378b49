package serving

// GC pacing: the collector is off while an index loads (HoldGC) and has
// room to grow past a small live heap while serving (PaceGC). serve and the
// gateway benchmark's servers use it alike, so the benchmark measures what
// serve runs. Timings are in BENCHMARKS.md ("Scale").

import (
	"math"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
)

// gcBasePercent is GOGC as the process started (100 unless set); tests
// change it under paceMu.
var gcBasePercent = func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }()

// GCHeadroom is how far the heap may grow past what is live before a
// collection, at least: with GOGC's proportion of a small live heap the
// collector ran dozens of times a second under load.
const GCHeadroom = 64 << 20

// runtimeHeapMinimum is the runtime's smallest heap goal at GOGC=100
// (defaultHeapMinimum in runtime/mgcpacer.go); GOGC scales it.
const runtimeHeapMinimum = 4 << 20

var (
	paceMu  sync.Mutex
	held    int  // HoldGCs not yet restored; under paceMu
	repaced bool // repacing after each cycle has begun; under paceMu
)

// PaceGC sets GOGC so that the heap may grow by GCHeadroom or by GOGC's
// proportion of what is live, whichever is more, and keeps it so after every
// collection: a GOGC fitted to a small heap would otherwise multiply a heap
// that grew under load (a request's garbage live at a collection) by as much
// — the heap goal stays within GCHeadroom (or GOGC's proportion) of the live
// heap, and the headroom at most a quarter of GOMEMLIMIT when one is set.
// GOGC=off stays off, and GOMEMLIMIT still holds either way.
func PaceGC() {
	paceMu.Lock()
	defer paceMu.Unlock()
	if gcBasePercent < 0 {
		return
	}
	pace()
	if !repaced {
		repaced = true
		armPace()
	}
}

// pace sets GOGC for the live heap of the last collection. paceMu is held.
//
// The runtime's goal is the live heap plus GOGC percent of the live heap,
// the stacks it scanned and the globals together, and at least 4 MiB times
// GOGC/100 (its minimum heap). So GOGC is fitted to that sum, and at most
// 16 times the headroom in MiB (1,600% for 64 MiB): fitted to the heap alone
// and capped at 10,000%, it multiplied the stacks and globals too and set a
// minimum of up to 400 MiB, and the plain server of make bench-latency, with
// a heap of ~1 MiB, ran with a goal of 220 MiB (200-290 MiB of RSS).
func pace() {
	if held > 0 || gcBasePercent < 0 {
		return
	}
	s := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}
	rtmetrics.Read(s)
	var base uint64
	for _, v := range s {
		if v.Value.Kind() == rtmetrics.KindUint64 {
			base += v.Value.Uint64()
		}
	}
	pct := gcBasePercent
	if s[0].Value.Kind() == rtmetrics.KindUint64 && s[0].Value.Uint64() > 0 {
		room := uint64(GCHeadroom)
		if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 && limit > 0 {
			room = min(room, uint64(limit)/4)
		}
		pct = max(pct, int(min(room*100/base, room*100/runtimeHeapMinimum)))
	}
	debug.SetGCPercent(pct)
}

// armPace runs pace once after the next collection, and so on: an object
// with a finalizer, unreachable, is finalized after the cycle that finds it.
func armPace() {
	s := &paceSentinel{}
	runtime.SetFinalizer(s, func(*paceSentinel) {
		paceMu.Lock()
		pace()
		paceMu.Unlock()
		armPace()
	})
}

type paceSentinel struct{ _ [16]byte } // not a tiny allocation, finalized alone

// HoldGC turns the garbage collector off until restore is called; calling
// restore again does nothing, and if GOGC is off already it changes nothing.
// A load allocates the new index in a few large pieces that all stay live
// until the swap, so a collection during it frees little and slows it
// (BENCHMARKS.md, "Scale"). GOMEMLIMIT still holds.
func HoldGC() (restore func()) {
	paceMu.Lock()
	defer paceMu.Unlock()
	old := debug.SetGCPercent(-1)
	if old < 0 {
		return func() {}
	}
	held++
	var once sync.Once
	return func() {
		once.Do(func() {
			paceMu.Lock()
			defer paceMu.Unlock()
			held--
			debug.SetGCPercent(old)
		})
	}
}
