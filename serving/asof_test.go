package serving

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

func TestAsOf_cachesLoadsOnceAndEvicts(t *testing.T) {
	// Version v was committed on day v of January; the lake is at version 5.
	current := NewIndex(releaselake.Snapshot{Version: 5, Releases: rows(5)})
	var loads atomic.Int64
	fail := atomic.Bool{}
	versionAsOf := func(_ context.Context, t time.Time) (int64, error) {
		d := t.Day()
		if t.Before(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
			return releaselake.NoVersion, nil
		}
		return int64(min(d, 5)), nil
	}
	indexAt := func(_ context.Context, v int64) (*Index, error) {
		loads.Add(1)
		time.Sleep(10 * time.Millisecond) // let concurrent askers pile up
		if fail.Load() {
			return nil, errors.New("disk on fire")
		}
		return NewIndex(releaselake.Snapshot{Version: v, Releases: rows(int(v))}), nil
	}
	asOf := asOfIndexes(versionAsOf, indexAt, func() *Index { return current }, 2)
	day := func(d int) time.Time { return time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC) }
	ctx := context.Background()

	if ix, err := asOf(ctx, day(9)); err != nil || ix != current {
		t.Fatalf("at the current version: %v %v", ix, err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if ix, err := asOf(ctx, day(2)); err != nil || ix.Version != 2 || ix.Rows() != 2 {
				t.Errorf("day 2: %v %v", ix, err)
			}
		})
	}
	wg.Wait()
	if loads.Load() != 1 {
		t.Fatalf("8 concurrent asks loaded %d times", loads.Load())
	}
	asOf(ctx, day(3))
	asOf(ctx, day(2)) // most recently used: 2, then 3
	asOf(ctx, day(4)) // evicts 3
	n := loads.Load()
	asOf(ctx, day(2))
	asOf(ctx, day(4))
	if loads.Load() != n {
		t.Fatalf("cached versions were loaded again")
	}
	asOf(ctx, day(3))
	if loads.Load() != n+1 {
		t.Fatalf("evicted version not loaded again")
	}
	if _, err := asOf(ctx, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)); releaselake.ClassOf(err) != releaselake.NotFound {
		t.Fatalf("before the first commit: %v", err)
	}
	fail.Store(true)
	if _, err := asOf(ctx, day(1)); err == nil {
		t.Fatal("a failed load answered")
	}
	fail.Store(false)
	if ix, err := asOf(ctx, day(1)); err != nil || ix.Version != 1 {
		t.Fatalf("a failed load was remembered: %v", err)
	}
}

// Older indexes together hold no more rows than the served one (at least
// minAsOfRows): time travel on a large lake keeps one or two versions, not
// max of them.
func TestAsOf_rowBudget(t *testing.T) {
	big := NewIndex(releaselake.Snapshot{Version: 1, Releases: rows(minAsOfRows * 5 / 8)})
	var current atomic.Pointer[Index]
	current.Store(NewIndex(releaselake.Snapshot{Version: 9, Releases: rows(10)}))
	loads := map[int64]int{}
	indexAt := func(_ context.Context, v int64) (*Index, error) {
		loads[v]++
		if v <= 2 {
			return big, nil // each of versions 1 and 2: 5/8 of the budget
		}
		return NewIndex(releaselake.Snapshot{Version: v, Releases: rows(3)}), nil
	}
	versionAsOf := func(_ context.Context, t time.Time) (int64, error) { return int64(t.Day()), nil }
	asOf := asOfIndexes(versionAsOf, indexAt, current.Load, 4)
	day := func(d int) time.Time { return time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC) }
	ctx := context.Background()
	for _, d := range []int{1, 3, 2, 3, 2} { // 1 and 2 do not fit together: 1 goes
		if ix, err := asOf(ctx, day(d)); err != nil || ix == nil {
			t.Fatalf("day %d: %v", d, err)
		}
	}
	if loads[1] != 1 || loads[2] != 1 || loads[3] != 1 {
		t.Fatalf("loads %v: want each version once so far", loads)
	}
	asOf(ctx, day(1))
	if loads[1] != 2 {
		t.Fatalf("version 1 was kept beside version 2: %d+%d rows over a budget of %d", big.Rows(), big.Rows(), minAsOfRows)
	}
	// A served index as big as both: they fit together.
	current.Store(NewIndex(releaselake.Snapshot{Version: 9, Releases: rows(2 * big.Rows())}))
	asOf(ctx, day(2))
	asOf(ctx, day(1))
	asOf(ctx, day(2))
	if loads[1] != 2 || loads[2] != 2 {
		t.Fatalf("loads %v: with a served index of %d rows, versions 1 and 2 fit together", loads, 2*big.Rows())
	}
}

// rows returns n releases of one product, one a day from January 1st.
func rows(n int) []releaselake.Release {
	out := make([]releaselake.Release, n)
	for i := range out {
		v := "1.0." + strconv.Itoa(i)
		out[i] = releaselake.Release{Product: "a", Tag: "v" + v, Version: v, PublishedAt: day(1).AddDate(0, 0, i)}
	}
	return out
}

// Eight versions asked at once load one at a time, never holding more rows
// than the budget together; an asker who waits longer than its turn allows
// is refused as Unavailable.
func TestAsOf_loadsOneAtATimeWithinTheBudget(t *testing.T) {
	current := NewIndex(releaselake.Snapshot{Version: 9, Releases: rows(minAsOfRows)})
	var inFlight, most atomic.Int64
	indexAt := func(_ context.Context, v int64) (*Index, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		return NewIndex(releaselake.Snapshot{Version: v, Releases: rows(minAsOfRows / 2)}), nil
	}
	versionAsOf := func(_ context.Context, t time.Time) (int64, error) { return int64(t.Day()), nil }
	c := newAsOfCache(versionAsOf, indexAt, func() *Index { return current }, 8)
	asOf := c.at
	var wg sync.WaitGroup
	var refused atomic.Int64
	for d := 1; d <= 8; d++ {
		wg.Go(func() {
			_, err := asOf(context.Background(), time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC))
			if releaselake.ClassOf(err) == releaselake.Unavailable {
				refused.Add(1)
			} else if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Fatalf("%d loads at once", most.Load())
	}
	if refused.Load() != 0 {
		t.Fatalf("%d refused within AsOfWait", refused.Load())
	}
	if c.rows() > current.Rows() {
		t.Fatalf("%d rows kept, over the budget of %d", c.rows(), current.Rows())
	}

	// A turn that does not come in time: Unavailable.
	sc := newAsOfCache(versionAsOf, func(ctx context.Context, v int64) (*Index, error) {
		time.Sleep(200 * time.Millisecond)
		return indexAt(ctx, v)
	}, func() *Index { return current }, 8)
	sc.wait = 50 * time.Millisecond
	slow := sc.at
	for d := 1; d <= 3; d++ {
		wg.Go(func() {
			_, err := slow(context.Background(), time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC))
			if releaselake.ClassOf(err) == releaselake.Unavailable {
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if refused.Load() != 2 {
		t.Fatalf("%d of 3 refused, want 2 (one loads, two wait too long)", refused.Load())
	}
}
