package hdfs_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	hdfsclient "github.com/colinmarc/hdfs/v2"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/hdfs"
	"github.com/releaselake/releaselake/lake/hdfs/hdfstest"
	"github.com/releaselake/releaselake/lake/laketest"
)

// The lake's Store on the real HDFS: what local-disk tests check about
// commits, checkpoints and time travel, plus what only HDFS can do (leases,
// DataNodes that die).

func openStore(t *testing.T, lakeURL string, opts ...lake.Option) *lake.Store {
	t.Helper()
	opts = append([]lake.Option{lake.WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil)))}, opts...)
	return lake.Open(open(t, lakeURL), opts...)
}

func rows(n int, note string) []releaselake.Release {
	var out []releaselake.Release
	for i := range n {
		out = append(out, releaselake.Release{
			Product: "react", Tag: fmt.Sprintf("v19.%d.0", i), Version: fmt.Sprintf("19.%d.0", i),
			Name: "React " + note, URL: "https://github.com/facebook/react", Source: releaselake.SourceGitHubRelease,
			Repo: "facebook/react", DateSource: releaselake.DateReleasePublished,
			PublishedAt: time.Date(2024, 12, 5, 0, 0, i, 0, time.UTC), FirstSeenAt: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		})
	}
	return out
}

func assertRows(t *testing.T, what string, got, want []releaselake.Release) {
	t.Helper()
	key := func(r releaselake.Release) string { return r.Product + "/" + r.Tag }
	g := slices.Clone(got)
	slices.SortFunc(g, func(a, b releaselake.Release) int { return strings.Compare(key(a), key(b)) })
	w := slices.Clone(want)
	slices.SortFunc(w, func(a, b releaselake.Release) int { return strings.Compare(key(a), key(b)) })
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: got %d rows %v, want %d rows %v", what, len(g), g, len(w), w)
	}
}

func TestStore_onHDFS_commitsCheckpointsTimeTravel(t *testing.T) {
	s := openStore(t, hdfstest.Lake(t))
	ctx := context.Background()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 12 {
		v, err := s.Commit(ctx, int64(i)-1, rows(i+1, fmt.Sprint("v", i)), releaselake.CommitInfo{RunID: fmt.Sprint("run", i), At: start.Add(time.Duration(i) * time.Hour)})
		if err != nil || v != int64(i) {
			t.Fatalf("commit %d = v%d, %v", i, v, err)
		}
	}
	infos, err := s.FS().ReadDir(ctx, "yellow/_delta_log")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fi := range infos {
		got = append(got, fi.Name())
	}
	if !slices.Contains(got, "00000000000000000010.checkpoint.parquet") || !slices.Contains(got, "_last_checkpoint") {
		t.Errorf("log = %q, want the checkpoint of v10 and _last_checkpoint", got)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil || snap.Version != 11 {
		t.Fatalf("Snapshot = v%d, %v", snap.Version, err)
	}
	assertRows(t, "v11", snap.Releases, rows(12, "v11"))
	v, err := s.VersionAsOf(ctx, start.Add(5*time.Hour+30*time.Minute))
	if err != nil || v != 5 {
		t.Fatalf("VersionAsOf = %d, %v; want 5", v, err)
	}
	old, err := s.SnapshotAt(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	assertRows(t, "v5", old.Releases, rows(6, "v5"))
	staged, err := s.FS().ReadDir(ctx, "yellow/_staging")
	if err != nil || len(staged) != 0 {
		t.Errorf("staging = %d files, %v; want empty", len(staged), err)
	}
}

// Writers in separate processes (clients) racing for one version: exactly
// one commits, through the NameNode's exclusive create.
func TestStore_onHDFS_concurrentWritersExactlyOneWins(t *testing.T) {
	lakeURL := hdfstest.Lake(t)
	ctx := context.Background()
	if _, err := openStore(t, lakeURL).Commit(ctx, releaselake.NoVersion, rows(1, "first"), releaselake.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		s := openStore(t, lakeURL)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Commit(ctx, 0, rows(2, fmt.Sprint("writer ", i)), releaselake.CommitInfo{})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both committed v1", winner, i)
		case err == nil:
			winner = i
		case releaselake.ClassOf(err) != releaselake.Conflict:
			t.Errorf("writer %d: %v, want Conflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("nobody committed")
	}
	snap, err := openStore(t, lakeURL).Snapshot(ctx)
	if err != nil || snap.Version != 1 {
		t.Fatalf("Snapshot = v%d, %v", snap.Version, err)
	}
	assertRows(t, "v1", snap.Releases, rows(2, fmt.Sprint("writer ", winner)))
}

// Two writers checkpointing at once never move _last_checkpoint back.
func TestStore_onHDFS_lastCheckpointNeverMovesBack(t *testing.T) {
	laketest.LastCheckpointNeverMovesBack(t, open(t, hdfstest.Lake(t)))
}

// A writer that died while writing its log entry leaves the version claimed
// and incomplete; the next commit waits for the NameNode to recover the dead
// writer's lease, replaces the entry with a repair entry and commits above it.
func TestStore_onHDFS_abandonedLogEntryIsRepaired(t *testing.T) {
	lakeURL := hdfstest.Lake(t)
	ctx := context.Background()
	s := openStore(t, lakeURL)
	if _, err := s.Commit(ctx, releaselake.NoVersion, rows(1, "v0"), releaselake.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(lakeURL)
	dead := hdfstest.Dial(t)
	w, err := dead.Create(u.Path + "/yellow/_delta_log/00000000000000000001.json")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`{"remove":{"path":"part-`))
	w.Flush()
	dead.Close() // the process dies: its lease is no longer renewed

	if head, err := s.Head(ctx); err != nil || head != 0 {
		t.Fatalf("Head with v1 half-written = %d, %v; want 0", head, err)
	}
	start := time.Now()
	v, err := s.Commit(ctx, 0, rows(2, "after the crash"), releaselake.CommitInfo{})
	if err != nil || v != 2 {
		t.Fatalf("Commit over the abandoned v1 = v%d, %v; want v2", v, err)
	}
	t.Logf("committed over the abandoned entry after %s (lease soft limit of the test cluster)", time.Since(start).Round(time.Millisecond))
	snap, err := s.SnapshotAt(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	assertRows(t, "v1 (repair)", snap.Releases, rows(1, "v0"))
	snap, err = s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertRows(t, "v2", snap.Releases, rows(2, "after the crash"))
}

// A DataNode that dies just before a commit: writes through it fail until the
// NameNode stops choosing it; the commit redoes them and goes through.
func TestStore_onHDFS_commitWithADeadDataNode(t *testing.T) {
	cluster := hdfstest.Control(t)
	lakeURL := hdfstest.Lake(t)
	ctx := context.Background()
	s := openStore(t, lakeURL)
	if _, err := s.Commit(ctx, releaselake.NoVersion, rows(3, "v0"), releaselake.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	cluster.StopDataNode(1)
	start := time.Now()
	t.Logf("DataNode 1 stopped at %s", start.Format("15:04:05.000"))
	v, err := s.Commit(ctx, 0, rows(4, "v1"), releaselake.CommitInfo{})
	if err != nil {
		t.Fatalf("Commit with DataNode 1 dead: %v", err)
	}
	t.Logf("committed v%d with a dead DataNode in %s", v, time.Since(start).Round(time.Millisecond))
	snap, err := openStore(t, lakeURL).Snapshot(ctx)
	if err != nil || snap.Version != v {
		t.Fatalf("Snapshot = v%d, %v", snap.Version, err)
	}
	assertRows(t, "after", snap.Releases, rows(4, "v1"))
	cluster.StartDataNode(1)
	if _, err := s.Commit(ctx, v, rows(5, "v2"), releaselake.CommitInfo{}); err != nil {
		t.Fatalf("Commit after the DataNode came back: %v", err)
	}
}

// BenchmarkStore_Commit: a commit of a 5,000-row table on the real HDFS
// (BENCHMARKS.md has the figures).
func BenchmarkStore_Commit(b *testing.B) {
	f, err := hdfs.Open(hdfs.Config{URL: hdfstest.Lake(b), User: "releaselake-test"})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	laketest.BenchmarkCommit(b, f)
}

// The crash test's flake (issue 18): a temporary file whose writer was killed
// stays open until the NameNode recovers the lease, and recovery sets its
// modification time to the moment of recovery. When that falls after vacuum
// took its "now", the file looked young and stayed. Vacuum with no retention
// removes it, and a file another client still holds open, whatever their time.
func TestStore_onHDFS_vacuumRemovesAbandonedTemporaryFiles(t *testing.T) {
	lakeURL := hdfstest.Lake(t)
	ctx := context.Background()
	began := time.Now()
	s := openStore(t, lakeURL, lake.WithClock(func() time.Time { return began }))
	f := open(t, lakeURL)
	if err := f.MkdirAll(ctx, "_state/github"); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(lakeURL)
	create := func(c *hdfsclient.Client, name string) {
		w, err := c.Create(u.Path + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(`{"cursor":`))
		w.Flush()
	}
	const abandoned, held = "_state/github/.kafka.json.tmp-dead-0", "_state/github/.flask.json.tmp-live-0"
	dead := hdfstest.Dial(t)
	create(dead, abandoned)
	dead.Close() // the process dies: its lease is no longer renewed
	create(hdfstest.Client(t), held)

	waitSealed(t, f, abandoned)
	fi, err := f.Stat(ctx, abandoned)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().After(began) {
		t.Fatalf("recovered file's modification time %s is not after the vacuum's now %s: the NameNode no longer sets it on recovery",
			fi.ModTime(), began)
	}

	res, err := s.Vacuum(ctx, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{abandoned, held} {
		if !slices.Contains(res.Removed, name) {
			t.Errorf("Vacuum(0) removed %q, want %s", res.Removed, name)
		}
		if _, err := f.Stat(ctx, name); err == nil {
			t.Errorf("%s still there after Vacuum(0)", name)
		}
	}
}
