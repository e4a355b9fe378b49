// Package gcpace is how a releaselake server paces Go's garbage collector:
// off while it loads an index (Hold), and with room to grow past a small live
// heap while it serves (Pace). serve and the gateway benchmark's servers use
// it alike, so the benchmark measures what serve runs.
package gcpace

import (
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
)

// basePercent is GOGC as the process started (100 unless set).
var basePercent = func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }()

// Headroom is how far the heap may grow past what is live before a
// collection, at least: GOGC's proportion of a small live heap (a lake of a
// few thousand rows holds ~10 MiB) had the collector run every few
// megabytes of request garbage, dozens of times a second under load, each
// run a pause and a share of the one core the requests queue for.
const Headroom = 64 << 20

// Pace sets GOGC after a load so that the heap may grow by Headroom or by
// GOGC's proportion of what is live, whichever is more: GOGC as set for a
// lake big enough, a bigger percentage for a small one. GOGC=off stays off,
// and GOMEMLIMIT still holds either way.
func Pace() {
	if basePercent < 0 {
		return
	}
	s := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	rtmetrics.Read(s)
	pct := basePercent
	if s[0].Value.Kind() == rtmetrics.KindUint64 {
		if live := s[0].Value.Uint64(); live > 0 {
			pct = max(pct, int(min(Headroom*100/live, 10_000)))
		}
	}
	debug.SetGCPercent(pct)
}

// Hold turns the garbage collector off until restore is called; calling
// restore again does nothing, and if GOGC is off already it changes nothing.
// A load allocates the new index in a few large pieces that all stay live
// until the swap, so a collection during it finds little to free and makes
// every pointer written after it pay a write barrier: at 1M rows on 2 CPUs a load (then of a []Release) took
// ~1.4 s and 2.1 s of CPU with GOGC at 400 during it, ~1.0 s and 1.4 s with
// the collector off, in alternating runs (BENCHMARKS.md, "Scale", has the cold
// starts measured by make bench-scale). The heap then grows by what the load
// allocates, about 0.45 KB a row; a memory limit (GOMEMLIMIT) still holds, as
// the runtime collects when the heap nears it even with GOGC off. What the
// load leaves behind is collected, and returned to the system, after the swap.
func Hold() (restore func()) {
	old := debug.SetGCPercent(-1)
	if old < 0 {
		return func() {}
	}
	var once sync.Once
	return func() { once.Do(func() { debug.SetGCPercent(old) }) }
}
