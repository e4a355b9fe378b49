package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake/hdfs/hdfstest"
)

// Two serve replicas on one lake on local disk.
func TestServe_twoReplicasRunOneIngestPerTick(t *testing.T) {
	root := filepath.Join(t.TempDir(), "lake")
	testReplicas(t, root, func() []string {
		entries, _ := os.ReadDir(filepath.Join(root, "_locks"))
		var n []string
		for _, e := range entries {
			n = append(n, e.Name())
		}
		return n
	})
}

// Two serve replicas on one lake on the real HDFS.
func TestHDFS_twoReplicasRunOneIngestPerTick(t *testing.T) {
	lakeURL := hdfstest.Lake(t)
	c := hdfstest.Client(t)
	_, dir, _ := strings.Cut(strings.TrimPrefix(lakeURL, "hdfs://"), "/")
	testReplicas(t, lakeURL, func() []string {
		entries, _ := c.ReadDir(path.Join("/", dir, "_locks"))
		var n []string
		for _, e := range entries {
			n = append(n, e.Name())
		}
		return n
	})
}

// replicaPoll is how often the replicas look for each other's commits.
const replicaPoll = 250 * time.Millisecond

// testReplicas starts two serve replicas (two Mains, sharing nothing but the
// lake) with an ingest schedule every 2 s on an empty lake, and checks that
// they run one first ingest between them and one ingest per schedule tick,
// and that both serve each new version soon after it is committed (their lag
// is logged, and written to RELEASELAKE_BENCH_OUT for make bench-scale).
// locks lists the lake's _locks directory.
func testReplicas(t *testing.T, lakeRoot string, locks func() []string) {
	gh := githubtest.NewServer(t)
	catalog := filepath.Join(t.TempDir(), "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: flask\n    github: pallets/flask\n  - key: kafka\n    github: apache/kafka\n    tags: true\n"), 0o644)
	env := map[string]string{"RELEASELAKE_LAKE": lakeRoot, "RELEASELAKE_CATALOG": catalog,
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL}
	var replicas []*Main
	for range 2 {
		m := NewMain(io.Discard)
		err := m.Config.ParseFlags("serve", []string{"-addr", "127.0.0.1:0", "-schedule", "*/2 * * * * *", "-poll", replicaPoll.String()},
			func(k string) string { return env[k] }, io.Discard)
		if err == nil {
			err = m.Open()
		}
		if err == nil {
			err = m.Serve(context.Background())
		}
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, m)
		t.Cleanup(func() { m.Close() })
	}
	ctx := context.Background()
	lake := replicas[0].Lake

	// Each new version: when it was committed, and when each replica served it.
	var lags [][2]time.Duration
	awaitServed := func(after int64) int64 {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			head, err := lake.Head(ctx)
			if err == nil && head > after {
				snap, err := lake.SnapshotAt(ctx, head)
				if err != nil {
					t.Fatal(err)
				}
				var lag [2]time.Duration
				for served := 0; served < len(replicas); time.Sleep(2 * time.Millisecond) {
					for i, m := range replicas {
						if ix := m.Engine.Current(); lag[i] == 0 && ix != nil && ix.Version >= head {
							lag[i] = max(time.Microsecond, time.Since(snap.CommittedAt))
							served++
						}
					}
					if time.Now().After(deadline) {
						t.Fatalf("v%d was committed at %s; served after %v", head, snap.CommittedAt, lag)
					}
				}
				lags = append(lags, lag)
				return head
			}
			if time.Now().After(deadline) {
				t.Fatalf("no version after v%d was committed (head %d, %v)", after, head, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	v0 := awaitServed(releaselake.NoVersion) // the first ingest
	gh.AddTag("apache/kafka", githubtest.Tag{Name: "9.9.9", Date: time.Now().UTC().Truncate(time.Second)})
	v1 := awaitServed(v0) // committed by whichever replica claimed the next tick
	gh.AddTag("apache/kafka", githubtest.Tag{Name: "9.9.10", Date: time.Now().UTC().Truncate(time.Second)})
	awaitServed(v1)
	time.Sleep(2500 * time.Millisecond) // one more tick: nothing new
	closing := time.Now()
	for _, m := range replicas {
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}

	runs, err := lake.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	byTrigger := map[string]int{}
	for _, r := range runs {
		byTrigger[r.Trigger]++
		// A run under way as the replicas closed (waiting for the lease, say)
		// is stopped, and its record says cancelled; any other end is a failure.
		cut := !r.EndedAt.Before(closing) && strings.Contains(r.Error, "cancelled by shutdown")
		if r.Status == releaselake.RunFailed || (r.Status == releaselake.RunCancelled && !cut) {
			t.Errorf("run %s (%s to %s, closing at %s) failed: %s", r.ID, r.StartedAt.Format(time.StampMilli),
				r.EndedAt.Format(time.StampMilli), closing.Format(time.StampMilli), r.Error)
		}
	}
	// A tick claimed as the replicas were closing may have had its run cut
	// short before it recorded itself, as a crash would; every earlier tick
	// has its run.
	ticks, settled := 0, 0
	for _, name := range locks() {
		if at, err := time.Parse("tick-20060102T150405Z", name); err == nil {
			ticks++
			if at.Before(closing.Add(-time.Second)) {
				settled++
			}
		}
	}
	if byTrigger["startup"] != 1 || ticks < 3 || settled < 2 || byTrigger["schedule"] < settled || byTrigger["schedule"] > ticks {
		t.Errorf("runs by trigger %v for %d claimed ticks (%d of them a second before closing); want one startup run and one run per tick", byTrigger, ticks, settled)
	}
	var report strings.Builder
	for i, lag := range lags {
		t.Logf("v%d served by replica 0 after %s, by replica 1 after %s (poll %s)", i, lag[0].Round(time.Millisecond), lag[1].Round(time.Millisecond), replicaPoll)
		fmt.Fprintf(&report, "| %s | v%d | %d | %d |\n", strings.TrimPrefix(t.Name(), "Test"), i,
			lag[0].Milliseconds(), lag[1].Milliseconds())
	}
	if out := os.Getenv("RELEASELAKE_BENCH_OUT"); out != "" {
		f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			_, err = f.WriteString(report.String())
			f.Close()
		}
		if err != nil {
			t.Error(err)
		}
	}
}
