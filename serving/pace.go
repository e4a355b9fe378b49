package serving

// GC pacing: the collector is off while an index loads (HoldGC) and has
// room to grow past a small live heap while serving (PaceGC). serve and the
// gateway benchmark's servers use it alike, so the benchmark measures what
// serve runs. Timings are in BENCHMARKS.md ("Scale").

import (
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
)

// gcBasePercent is GOGC as the process started (100 unless set).
var gcBasePercent = func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }()

// GCHeadroom is how far the heap may grow past what is live before a
// collection, at least: with GOGC's proportion of a small live heap the
// collector ran dozens of times a second under load.
const GCHeadroom = 64 << 20

// PaceGC sets GOGC after a load so that the heap may grow by GCHeadroom or
// by GOGC's proportion of what is live, whichever is more. GOGC=off stays
// off, and GOMEMLIMIT still holds either way.
func PaceGC() {
	if gcBasePercent < 0 {
		return
	}
	s := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	rtmetrics.Read(s)
	pct := gcBasePercent
	if s[0].Value.Kind() == rtmetrics.KindUint64 {
		if live := s[0].Value.Uint64(); live > 0 {
			pct = max(pct, int(min(GCHeadroom*100/live, 10_000)))
		}
	}
	debug.SetGCPercent(pct)
}

// HoldGC turns the garbage collector off until restore is called; calling
// restore again does nothing, and if GOGC is off already it changes nothing.
// A load allocates the new index in a few large pieces that all stay live
// until the swap, so a collection during it frees little and slows it
// (BENCHMARKS.md, "Scale"). GOMEMLIMIT still holds.
func HoldGC() (restore func()) {
	old := debug.SetGCPercent(-1)
	if old < 0 {
		return func() {}
	}
	var once sync.Once
	return func() { once.Do(func() { debug.SetGCPercent(old) }) }
}
