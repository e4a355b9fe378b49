package serving

import (
	"context"
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/releaselake/releaselake"
)

func snapshotIndex(v int64, rels ...releaselake.Release) *Index {
	return NewIndex(releaselake.Snapshot{Version: v, CommittedAt: day(int(v)), Releases: rels})
}

func changeList(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Kind.String()+" "+c.Release.Product+" "+c.Release.Tag)
	}
	return out
}

// A new version's rows are NEW when the older version lacks their tag,
// BECAME_STABLE when a prerelease turned GA, UPDATED when another column
// changed; unchanged and removed rows are no change. Products come in key
// order, tags in order within one.
func TestIndexDiff_newBecameStableUpdated(t *testing.T) {
	older := snapshotIndex(1,
		releaselake.Release{Product: "a", Tag: "1.0", Version: "1.0", PublishedAt: day(1)},
		releaselake.Release{Product: "a", Tag: "2.0rc1", Version: "2.0rc1", PublishedAt: day(2), Prerelease: true},
		releaselake.Release{Product: "a", Tag: "0.9", Version: "0.9", PublishedAt: day(1)},
		releaselake.Release{Product: "b", Tag: "3.0", Version: "3.0", PublishedAt: day(1)},
		releaselake.Release{Product: "b", Tag: "gone", Version: "gone", PublishedAt: day(1)},
	)
	newer := snapshotIndex(2,
		releaselake.Release{Product: "a", Tag: "1.0", Version: "1.0", PublishedAt: day(1)},
		releaselake.Release{Product: "a", Tag: "2.0rc1", Version: "2.0rc1", PublishedAt: day(3)},
		releaselake.Release{Product: "a", Tag: "0.9", Version: "0.9", PublishedAt: day(1), Yanked: true},
		releaselake.Release{Product: "a", Tag: "1.1", Version: "1.1", PublishedAt: day(4)},
		releaselake.Release{Product: "b", Tag: "3.0", Version: "3.0", PublishedAt: day(2)},
		releaselake.Release{Product: "c", Tag: "0.1", Version: "0.1", PublishedAt: day(4), Prerelease: true},
	)
	got, truncated := IndexDiff{}.ChangesBetween(older, newer)
	want := []string{"UPDATED a 0.9", "NEW a 1.1", "BECAME_STABLE a 2.0rc1", "UPDATED b 3.0", "NEW c 0.1"}
	if fmt.Sprint(changeList(got)) != fmt.Sprint(want) || truncated {
		t.Fatalf("changes %q (truncated %v), want %q", changeList(got), truncated, want)
	}
	if r := got[2].Release; !r.PublishedAt.Equal(day(3)) || r.Prerelease {
		t.Errorf("a change carries the newer row: %+v", r)
	}
	for _, c := range got { // copied out: an event held does not keep the version's arenas
		for _, a := range newer.arenas {
			lo, hi := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(a)))+uintptr(len(a))
			if p := uintptr(unsafe.Pointer(unsafe.StringData(c.Release.Tag))); p >= lo && p < hi {
				t.Errorf("%s's tag points into the index's arena", c.Release.Tag)
			}
		}
	}
	if got, _ := (IndexDiff{}).ChangesBetween(newer, newer); len(got) != 0 {
		t.Errorf("a version compared with itself: %q", changeList(got))
	}
}

// A version changing more rows than the bound reports the first of them,
// truncated.
func TestIndexDiff_boundedAndSaysSo(t *testing.T) {
	older := snapshotIndex(1)
	var rels []releaselake.Release
	for i := range 10 {
		rels = append(rels, releaselake.Release{Product: "a", Tag: fmt.Sprintf("1.%d", i), Version: fmt.Sprintf("1.%d", i), PublishedAt: day(1)})
	}
	got, truncated := IndexDiff{Max: 3}.ChangesBetween(older, snapshotIndex(2, rels...))
	if len(got) != 3 || !truncated {
		t.Fatalf("%d changes, truncated %v; want 3, true", len(got), truncated)
	}
}

// differFunc is a Differ of a function.
type differFunc func(older, newer *Index) ([]Change, bool)

func (f differFunc) ChangesBetween(older, newer *Index) ([]Change, bool) { return f(older, newer) }

// At most max subscribe; a closed subscription frees its place. Nothing is
// compared while nobody listens, nor on the first load. A subscriber that
// falls subscriberBuffer versions behind is dropped; the others hear every
// version.
func TestBroadcaster_boundedNonBlockingAndIdleWhenUnsubscribed(t *testing.T) {
	compared := 0
	b := NewBroadcaster(2, differFunc(func(older, newer *Index) ([]Change, bool) {
		compared++
		return IndexDiff{}.ChangesBetween(older, newer)
	}))
	v := func(n int) *Index {
		var rels []releaselake.Release
		for i := range n {
			rels = append(rels, releaselake.Release{Product: "a", Tag: fmt.Sprint(i), Version: fmt.Sprint(i), PublishedAt: day(1)})
		}
		return snapshotIndex(int64(n), rels...)
	}
	b.Publish(v(1), v(2))
	if compared != 0 {
		t.Fatalf("compared %d times with nobody subscribed", compared)
	}
	slow, err := b.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	fast, err := b.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Subscribe(); releaselake.ClassOf(err) != releaselake.Unavailable {
		t.Fatalf("a third subscriber of two: %v", err)
	}
	b.Publish(nil, v(2))
	if compared != 0 {
		t.Fatal("the first load was compared")
	}
	for n := 2; n < 2+subscriberBuffer+1; n++ {
		b.Publish(v(n), v(n+1))
		p := <-fast.C
		if p.Version != int64(n+1) || len(p.Changes) != 1 || p.Changes[0].Release.Tag != fmt.Sprint(n) || p.Changes[0].Kind != ChangeNew {
			t.Fatalf("v%d: %+v", n+1, p)
		}
	}
	if !slow.Dropped() || b.Open() != 1 || b.DroppedTotal() != 1 {
		t.Fatalf("slow subscriber dropped %v, %d open, %d dropped", slow.Dropped(), b.Open(), b.DroppedTotal())
	}
	got := 0
	for range slow.C { // what it had buffered, then closed
		got++
	}
	if got != subscriberBuffer {
		t.Errorf("the dropped subscriber had %d versions, want %d", got, subscriberBuffer)
	}
	again, err := b.Subscribe()
	if err != nil {
		t.Fatalf("a place freed by a drop: %v", err)
	}
	again.Close()
	again.Close()
	fast.Close()
	if b.Open() != 0 {
		t.Errorf("%d open after every Close", b.Open())
	}
}

// The engine tells its subscribers of each version it swaps in after the
// first: fakeLake's version v has one row more than v-1.
func TestEngine_publishesEachVersionSwappedIn(t *testing.T) {
	l := &fakeLake{head: 2}
	loaded := make(chan int64, 10)
	e := New(l, Options{Poll: time.Hour, Loaded: func(_ context.Context, ix *Index) { loaded <- ix.Version }})
	sub, err := e.Broadcaster().Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-loaded
	l.set(3, nil)
	e.Signal()
	select {
	case p := <-sub.C:
		if p.Version != 3 || fmt.Sprint(changeList(p.Changes)) != "[NEW a v1.0.3]" {
			t.Fatalf("v3 published as %+v", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("v3 not published")
	}
	if len(sub.C) != 0 {
		t.Fatal("the first load was published")
	}
}

// Close ends every subscription and refuses new ones: the server is
// shutting down.
func TestBroadcaster_closeEndsSubscriptions(t *testing.T) {
	b := NewBroadcaster(0, nil)
	s, err := b.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	b.Close()
	if _, ok := <-s.C; ok {
		t.Fatal("a subscription outlived Close")
	}
	<-b.Done()
	if _, err := b.Subscribe(); releaselake.ClassOf(err) != releaselake.Unavailable {
		t.Fatalf("subscribing after Close: %v", err)
	}
	s.Close()
	if b.Max() != DefaultMaxSubscribers {
		t.Errorf("max %d, want the default %d", b.Max(), DefaultMaxSubscribers)
	}
}

// IndexDiff at make bench-scale's size: 10,000 products, 1,000,000 releases,
// ten of them new in the newer version.
func BenchmarkIndexDiff_million(b *testing.B) {
	rels := make([]releaselake.Release, 0, 1_000_010)
	for p := range 10_000 {
		for i := range 100 {
			v := fmt.Sprintf("%d.%d.0", i/10, i%10)
			rels = append(rels, releaselake.Release{Product: fmt.Sprintf("p%05d", p), Tag: "v" + v, Version: v, Name: "v" + v,
				URL: "https://example.com/" + v, PublishedAt: day(1).Add(time.Duration(i) * time.Hour)})
		}
	}
	older := snapshotIndex(1, rels...)
	for i := range 10 {
		rels = append(rels, releaselake.Release{Product: fmt.Sprintf("p%05d", i*1000), Tag: "v99.0.0", Version: "99.0.0", PublishedAt: day(2)})
	}
	newer := snapshotIndex(2, rels...)
	b.ResetTimer()
	for b.Loop() {
		if cs, _ := (IndexDiff{}).ChangesBetween(older, newer); len(cs) != 10 {
			b.Fatalf("%d changes", len(cs))
		}
	}
}
