package lake_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

func TestStore_Claim_onlyOnce(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.Claim(ctx, "tick-20261126T0000Z")
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d claims won, want 1", won.Load())
	}
	if _, err := s.Claim(ctx, "bad:name"); releaselake.ClassOf(err) != releaselake.Invalid {
		t.Errorf("bad name: %v", err)
	}
}

// fakeClock is a clock that moves only when told to.
func fakeClock(start time.Time) (now func() time.Time, advance func(time.Duration)) {
	var mu sync.Mutex
	now = func() time.Time { mu.Lock(); defer mu.Unlock(); return start }
	advance = func(d time.Duration) { mu.Lock(); start = start.Add(d); mu.Unlock() }
	return now, advance
}

func TestStore_AcquireLease_heldExpiredLost(t *testing.T) {
	ctx := context.Background()
	now, advance := fakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := lake.Open(localfs.New(t.TempDir()), lake.WithClock(now))

	a, err := s.AcquireLease(ctx, "ingest", "a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireLease(ctx, "ingest", "b", time.Minute); releaselake.ClassOf(err) != releaselake.Conflict {
		t.Fatalf("second owner while held: %v", err)
	}
	advance(50 * time.Second)
	if err := a.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	advance(50 * time.Second) // 100 s after the start, 50 after the renewal: still held
	if _, err := s.AcquireLease(ctx, "ingest", "b", time.Minute); releaselake.ClassOf(err) != releaselake.Conflict {
		t.Fatalf("taken despite the renewal: %v", err)
	}
	advance(20 * time.Second) // expired: a died, say. Of many takers one wins.
	var won atomic.Int32
	var wg sync.WaitGroup
	var b releaselake.Lease
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := s.AcquireLease(ctx, "ingest", string(rune('b'+i)), time.Minute)
			if err == nil {
				won.Add(1)
				b = l
			} else if releaselake.ClassOf(err) != releaselake.Conflict {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d takeovers won, want 1", won.Load())
	}
	if err := a.Renew(ctx); releaselake.ClassOf(err) != releaselake.Conflict {
		t.Fatalf("the old holder renewed a lost lease: %v", err)
	}
	if err := b.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireLease(ctx, "ingest", "z", time.Minute); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

// On HDFS, Publish claims a name and then fills it: a lease file being
// written cannot be read yet. It holds the lease (for writingTTL from its
// modification time, after which its writer is taken for dead); taken as
// free, a second process could take the lease while the first went on.
func TestStore_AcquireLease_fileBeingWrittenHolds(t *testing.T) {
	ctx := context.Background()
	now, advance := fakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	root := t.TempDir()
	s := lake.Open(localfs.New(root), lake.WithClock(now))

	// Another process has claimed generation 0 and written a prefix of it.
	dir := filepath.Join(root, "_locks", "ingest")
	os.MkdirAll(dir, 0o755)
	name := filepath.Join(dir, "0000000000.json")
	if err := os.WriteFile(name, []byte(`{"owner":"a","exp`), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(name, now(), now())

	if _, err := s.AcquireLease(ctx, "ingest", "b", time.Minute); releaselake.ClassOf(err) != releaselake.Conflict {
		t.Fatalf("lease taken while another process writes its file: %v", err)
	}
	advance(30 * time.Second)
	if _, err := s.AcquireLease(ctx, "ingest", "b", time.Minute); releaselake.ClassOf(err) != releaselake.Conflict {
		t.Fatalf("lease taken 30 s after another process began writing its file: %v", err)
	}
	advance(31 * time.Second) // its writer died: the lease is free
	b, err := s.AcquireLease(ctx, "ingest", "b", time.Minute)
	if err != nil {
		t.Fatalf("a lease file left half-written a minute ago still holds: %v", err)
	}
	if err := b.Renew(ctx); err != nil {
		t.Fatal(err)
	}
}
