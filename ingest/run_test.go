package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// fakeSource is a releaselake.Source whose behaviour the test sets.
type fakeSource struct {
	kind  string
	fetch func(p releaselake.Product) ([][]byte, error)
	// fetchCtx, if set, is used instead of fetch, with Fetch's context.
	fetchCtx func(ctx context.Context, p releaselake.Product) ([][]byte, error)
	// after, if set, may change what Fetch returns for a crawl (state, unchanged).
	after func(c releaselake.Crawl, f *releaselake.Fetched)
}

func (f *fakeSource) Kind() string { return f.kind }

func (f *fakeSource) Fetch(ctx context.Context, cs []releaselake.Crawl) []releaselake.Fetched {
	var out []releaselake.Fetched
	for _, c := range cs {
		p := c.Product
		var raw [][]byte
		var err error
		if f.fetchCtx != nil {
			raw, err = f.fetchCtx(ctx, p)
		} else {
			raw, err = f.fetch(p)
		}
		got := releaselake.Fetched{Product: p.Key, Raw: raw, Err: err}
		if f.after != nil {
			f.after(c, &got)
		}
		out = append(out, got)
	}
	return out
}

// Parse reads answers of the form {"tags": ["1.0", "nightly", ...]}.
func (f *fakeSource) Parse(p releaselake.Product, raw [][]byte, _ []releaselake.Release) (releaselake.Parsed, error) {
	var res releaselake.Parsed
	for _, r := range raw {
		var a struct{ Tags []string }
		if err := json.Unmarshal(r, &a); err != nil {
			return res, err
		}
		for _, tag := range a.Tags {
			v, ok := releaselake.VersionFromTag(tag, nil)
			if !ok {
				res.Ignored++
				continue
			}
			res.Releases = append(res.Releases, releaselake.Release{Product: p.Key, Tag: tag, Version: v,
				Source: releaselake.SourceGitHubTag, PublishedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		}
	}
	return res, nil
}

func TestRunner_Run_recordsEveryProductAndKeepsFailedOnesRows(t *testing.T) {
	cat, err := releaselake.NewCatalog([]releaselake.Product{
		{Key: "a", Kind: "github", Ref: "o/a"}, {Key: "b", Kind: "github", Ref: "o/b"}, {Key: "c", Kind: "pypi", Ref: "c"}, {Key: "d", Kind: "page", Ref: "https://x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store := lake.Open(localfs.New(dir))
	answers := map[string]string{"a": `{"tags":["v1.0.0","nightly"]}`, "b": `{"tags":["2.0"]}`}
	failB := false
	src := &fakeSource{kind: releaselake.KindGitHub, fetch: func(p releaselake.Product) ([][]byte, error) {
		if p.Key == "b" && failB {
			return nil, errors.New("upstream said 502")
		}
		return [][]byte{[]byte(answers[p.Key])}, nil
	}}
	var committed []int64
	r := &Runner{Lake: store, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sources:   map[string]releaselake.Source{releaselake.KindGitHub: src},
		Disabled:  map[string]string{"pypi": "no mirror configured"},
		Committed: func(v int64) { committed = append(committed, v) }}

	run, err := r.Run(context.Background(), "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != releaselake.RunPartial || run.Version != 0 || run.Rows != 2 || run.Added != 2 {
		t.Fatalf("run %+v", run)
	}
	want := map[string]string{"a": "ok", "b": "ok", "c": "skipped: no mirror configured", "d": `skipped: source "page" is not implemented yet`}
	for _, p := range run.Products {
		got := p.Status
		if p.Error != "" {
			got += ": " + p.Error
		}
		if got != want[p.Product] {
			t.Errorf("product %s: %q, want %q", p.Product, got, want[p.Product])
		}
		if p.Product == "a" && (p.Releases != 1 || p.Ignored != 1) {
			t.Errorf("a: %d releases %d ignored", p.Releases, p.Ignored)
		}
	}
	// red keeps each raw answer with its product.
	red, err := os.ReadFile(filepath.Join(dir, lake.RedPath(run.ID, run.StartedAt, "github")))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(red)), "\n"); len(lines) != 2 || lines[0] != `{"product":"a","answer":{"tags":["v1.0.0","nightly"]}}` {
		t.Fatalf("red: %s", red)
	}

	// b fails now: its rows stay, a's new tag is added, the record says why.
	failB = true
	answers["a"] = `{"tags":["v1.0.0","v1.1.0"]}`
	run, err = r.Run(context.Background(), "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := store.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if run.Version != 1 || len(snap.Releases) != 3 || run.Added != 1 || len(committed) != 2 {
		t.Fatalf("run %+v, %d rows, commits %v", run, len(snap.Releases), committed)
	}
	runs, err := store.Runs(context.Background(), 10)
	if err != nil || len(runs) != 2 || runs[0].ID != run.ID {
		t.Fatalf("runs %v %+v", err, runs)
	}
	for _, p := range runs[0].Products {
		if p.Product == "b" && (p.Status != "failed" || p.Error != "upstream said 502") {
			t.Errorf("b: %+v", p)
		}
	}
	// Nothing new: no commit.
	run, err = r.Run(context.Background(), "test", nil)
	if err != nil || run.Version != releaselake.NoVersion || len(committed) != 2 {
		t.Fatalf("run %+v err %v commits %v", run, err, committed)
	}
}

func TestRunner_Run_unknownProductFails(t *testing.T) {
	cat, _ := releaselake.NewCatalog([]releaselake.Product{{Key: "a", Kind: "github", Ref: "o/a"}})
	r := &Runner{Lake: lake.Open(localfs.New(t.TempDir())), Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	run, err := r.Run(context.Background(), "test", []string{"zzz"})
	if err == nil || run.Status != releaselake.RunFailed || !strings.Contains(run.Error, "zzz") {
		t.Fatalf("run %+v err %v", run, err)
	}
}

func TestRunner_Run_savesStateAfterCommitAndKeepsUnchangedRows(t *testing.T) {
	cat, _ := releaselake.NewCatalog([]releaselake.Product{{Key: "a", Kind: "github", Ref: "o/a"}})
	store := lake.Open(localfs.New(t.TempDir()))
	ctx := context.Background()
	var seen []string
	src := &fakeSource{kind: releaselake.KindGitHub,
		fetch: func(releaselake.Product) ([][]byte, error) { return [][]byte{[]byte(`{"tags":["1.0"]}`)}, nil },
		after: func(c releaselake.Crawl, f *releaselake.Fetched) {
			seen = append(seen, fmt.Sprintf("%s:%d", c.State, len(c.Prev)))
			if c.State != nil { // the second run: upstream says 304
				f.Raw, f.Unchanged = nil, true
			}
			f.State = []byte(fmt.Sprintf(`"etag%d"`, len(seen)))
		}}
	r := &Runner{Lake: store, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sources: map[string]releaselake.Source{releaselake.KindGitHub: src}}
	for range 2 {
		if run, err := r.Run(ctx, "test", nil); err != nil || run.Status != releaselake.RunSucceeded {
			t.Fatalf("run %+v: %v", run, err)
		}
	}
	if fmt.Sprint(seen) != `[:0 "etag1":1]` {
		t.Errorf("crawls saw state:prev %v", seen)
	}
	if st, _ := store.ReadState(ctx, "github/a"); string(st) != `"etag2"` {
		t.Errorf("state %s", st)
	}
	snap, _ := store.Snapshot(ctx)
	if snap.Version != 0 || len(snap.Releases) != 1 {
		t.Errorf("unchanged product lost its rows: v%d %d rows", snap.Version, len(snap.Releases))
	}

	// A commit that fails must not save the state.
	src.after = func(c releaselake.Crawl, f *releaselake.Fetched) { f.State = []byte(`"never"`) }
	src.fetch = func(releaselake.Product) ([][]byte, error) { return [][]byte{[]byte(`{"tags":["1.0","2.0"]}`)}, nil }
	r.Lake = &failingCommit{Lake: store}
	if _, err := r.Run(ctx, "test", nil); err == nil {
		t.Fatal("run with a failing commit succeeded")
	}
	if st, _ := store.ReadState(ctx, "github/a"); string(st) != `"etag2"` {
		t.Errorf("state ran ahead of yellow: %s", st)
	}
}

// failingCommit is a lake whose commits fail.
type failingCommit struct{ releaselake.Lake }

func (failingCommit) Commit(context.Context, int64, []releaselake.Release, releaselake.CommitInfo) (int64, error) {
	return 0, errors.New("disk full")
}

// A run whose context ends (SIGTERM, the schedule stopped) still leaves its
// record as it ended, never "running": cancelled, with the version it
// committed first, if any. The record is what operators and rebuild read.
func TestRunner_Run_cancelledRunIsRecordedAsItEnded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		during  string // "crawl" or "send"
		want    string
		version int64
	}{
		{"cancelled while crawling", "crawl", releaselake.RunCancelled, releaselake.NoVersion},
		{"cancelled while sending", "send", releaselake.RunCancelled, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat, _ := releaselake.NewCatalog([]releaselake.Product{{Key: "a", Kind: "github", Ref: "o/a"}})
			store := lake.Open(localfs.New(t.TempDir()))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			src := &fakeSource{kind: releaselake.KindGitHub, fetch: func(releaselake.Product) ([][]byte, error) {
				if tc.during == "crawl" {
					cancel()
				}
				return [][]byte{[]byte(`{"tags":["1.0"]}`)}, nil
			}}
			r := &Runner{Lake: store, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Sources: map[string]releaselake.Source{releaselake.KindGitHub: src},
				Send: func(ctx context.Context) error {
					cancel()
					return ctx.Err()
				}}
			run, _ := r.Run(ctx, "cli", nil)
			if run.Status != tc.want {
				t.Fatalf("run ended %s, want %s", run.Status, tc.want)
			}
			runs, err := store.Runs(context.Background(), 1)
			if err != nil || len(runs) != 1 {
				t.Fatalf("runs %v %+v", err, runs)
			}
			if runs[0].Status != tc.want || runs[0].EndedAt.IsZero() || runs[0].Version != tc.version {
				t.Errorf("record says %s v%d (ended %v), want %s v%d", runs[0].Status, runs[0].Version, runs[0].EndedAt, tc.want, tc.version)
			}
		})
	}
}

func TestRunner_Start_returnsRunningRecordThenFinishes(t *testing.T) {
	cat, _ := releaselake.NewCatalog([]releaselake.Product{{Key: "a", Kind: "github", Ref: "o/a"}})
	store := lake.Open(localfs.New(t.TempDir()))
	release := make(chan struct{})
	src := &fakeSource{kind: releaselake.KindGitHub, fetch: func(releaselake.Product) ([][]byte, error) {
		<-release
		return [][]byte{[]byte(`{"tags":["1.0"]}`)}, nil
	}}
	r := &Runner{Lake: store, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sources: map[string]releaselake.Source{releaselake.KindGitHub: src}}
	ctx, cancel := context.WithCancel(context.Background())
	run, err := r.Start(ctx, "mutation", []string{"a"})
	cancel() // the request that started it may end; the run goes on
	if err != nil || run.Status != releaselake.RunRunning || run.ID == "" {
		t.Fatalf("Start: %+v %v", run, err)
	}
	if _, err := r.Start(context.Background(), "mutation", nil); releaselake.ClassOf(err) != releaselake.Conflict {
		t.Fatalf("second Start while running: %v", err)
	}
	if _, err := r.Start(context.Background(), "mutation", []string{"zz"}); releaselake.ClassOf(err) != releaselake.Invalid {
		t.Fatalf("Start with unknown product: %v", err)
	}
	close(release)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		runs, _ := store.Runs(context.Background(), 1)
		if len(runs) == 1 && runs[0].ID == run.ID && runs[0].Status == releaselake.RunSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not finish: %+v", runs)
		}
	}
}

// A run begun by Start ends when the runner's Base does (the server closing),
// and Wait returns once its record says how it ended.
func TestRunner_Start_endsWithBase(t *testing.T) {
	cat, _ := releaselake.NewCatalog([]releaselake.Product{{Key: "a", Kind: "github", Ref: "o/a"}})
	store := lake.Open(localfs.New(t.TempDir()))
	fetching := make(chan struct{})
	src := &fakeSource{kind: releaselake.KindGitHub, fetchCtx: func(ctx context.Context, _ releaselake.Product) ([][]byte, error) {
		close(fetching)
		<-ctx.Done() // an upstream that never answers
		return nil, ctx.Err()
	}}
	base, stop := context.WithCancel(context.Background())
	r := &Runner{Lake: store, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sources: map[string]releaselake.Source{releaselake.KindGitHub: src}, Base: base}
	run, err := r.Start(context.Background(), "mutation", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-fetching
	stop()
	r.Wait()
	runs, err := store.Runs(context.Background(), 1)
	if err != nil || len(runs) != 1 || runs[0].ID != run.ID || runs[0].Status == releaselake.RunRunning || runs[0].EndedAt.IsZero() {
		t.Fatalf("after Wait the record is %+v (%v); want the run's, ended", runs, err)
	}
}

func TestRunner_Run_waitsForAnotherRunAndTakesOverADeadOnesLease(t *testing.T) {
	cat, _ := releaselake.NewCatalog([]releaselake.Product{{Key: "a", Kind: "github", Ref: "o/a"}})
	store := lake.Open(localfs.New(t.TempDir()))
	ctx := context.Background()
	// A process that died holding the lease: it expires in 300 ms.
	if _, err := store.AcquireLease(ctx, "ingest", "dead-1", 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var fetching atomic.Int32
	var overlap atomic.Bool
	src := &fakeSource{kind: releaselake.KindGitHub, fetch: func(releaselake.Product) ([][]byte, error) {
		if fetching.Add(1) > 1 {
			overlap.Store(true)
		}
		time.Sleep(50 * time.Millisecond)
		fetching.Add(-1)
		return [][]byte{[]byte(`{"tags":["1.0"]}`)}, nil
	}}
	newRunner := func(owner string) *Runner {
		return &Runner{Lake: store, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Owner: owner,
			LeaseTTL: 300 * time.Millisecond, LeaseWait: 10 * time.Second,
			Sources: map[string]releaselake.Source{releaselake.KindGitHub: src}}
	}
	var wg sync.WaitGroup
	runs := make([]releaselake.Run, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if runs[i], err = newRunner(fmt.Sprint("replica-", i)).Run(ctx, "test", nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if overlap.Load() {
		t.Error("two runs crawled at once")
	}
	commits := 0
	for _, r := range runs {
		if r.Version != releaselake.NoVersion {
			commits++
		}
	}
	if commits != 1 {
		t.Errorf("%d commits, want 1 (the second run finds nothing new): %+v", commits, runs)
	}
}

// Replicas starting together on an empty lake: one first ingest between them,
// after the lease of a first ingest that was killed before it committed expires.
func TestRunner_RunFirst_oneFirstIngestAndRetriesAKilledOne(t *testing.T) {
	cat, _ := releaselake.NewCatalog([]releaselake.Product{{Key: "a", Kind: "github", Ref: "o/a"}})
	store := lake.Open(localfs.New(t.TempDir()))
	ctx := context.Background()
	// The first ingest of a process that was killed: it holds the lease, which
	// expires in 300 ms, and committed nothing.
	if _, err := store.AcquireLease(ctx, "ingest", "killed-1", 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var fetches atomic.Int32
	src := &fakeSource{kind: releaselake.KindGitHub, fetch: func(releaselake.Product) ([][]byte, error) {
		fetches.Add(1)
		return [][]byte{[]byte(`{"tags":["1.0"]}`)}, nil
	}}
	var wg sync.WaitGroup
	ran := make([]bool, 3)
	for i := range ran {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &Runner{Lake: store, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Owner: fmt.Sprint("replica-", i), LeaseTTL: 300 * time.Millisecond, LeaseWait: 10 * time.Second,
				Sources: map[string]releaselake.Source{releaselake.KindGitHub: src}}
			run, did, err := r.RunFirst(ctx)
			if err != nil {
				t.Error(err)
			}
			if did && (run.Trigger != "startup" || run.Version != 0) {
				t.Errorf("first ingest %+v, want trigger startup committing v0", run)
			}
			ran[i] = did
		}()
	}
	wg.Wait()
	n := 0
	for _, did := range ran {
		if did {
			n++
		}
	}
	if n != 1 || fetches.Load() != 1 {
		t.Errorf("%d first ingests and %d fetches, want 1 and 1", n, fetches.Load())
	}
	runs, err := store.Runs(ctx, 0)
	if err != nil || len(runs) != 1 {
		t.Errorf("run records %+v (%v), want the one first ingest", runs, err)
	}
}

func TestByProduct_subSlicesWhenTogetherCopiesWhenNot(t *testing.T) {
	rows := []releaselake.Release{{Product: "a", Tag: "1"}, {Product: "a", Tag: "2"}, {Product: "b", Tag: "1"}, {Product: "a", Tag: "3"}}
	m := byProduct(rows)
	if len(m["a"]) != 3 || m["a"][2].Tag != "3" || len(m["b"]) != 1 {
		t.Fatalf("groups %+v", m)
	}
	if &m["b"][0] != &rows[2] {
		t.Error("b's rows are together but were copied")
	}
	m["a"][0].Tag = "x" // a's rows were not together: a copy
	if rows[0].Tag != "1" {
		t.Error("a's group shares memory with rows after appending")
	}
	if b := append(m["b"], releaselake.Release{Product: "b"}); &b[0] == &rows[2] || rows[3].Product != "a" {
		t.Error("appending to a group wrote into rows")
	}
}
