package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// Two serve processes on one lake: one ingest per schedule tick between them,
// one first ingest on the empty lake, and both serve what was committed.
func TestServe_twoReplicasRunOneIngestPerTick(t *testing.T) {
	gh := githubtest.NewServer(t)
	dir := t.TempDir()
	catalog := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: flask\n    github: pallets/flask\n  - key: kafka\n    github: apache/kafka\n    tags: true\n"), 0o644)
	env := map[string]string{"RELEASELAKE_LAKE": filepath.Join(dir, "lake"), "RELEASELAKE_CATALOG": catalog,
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL}
	var replicas []*Main
	for range 2 {
		m := NewMain(io.Discard)
		err := m.Config.ParseFlags("serve", []string{"-addr", "127.0.0.1:0", "-schedule", "*/2 * * * * *", "-poll", "100ms"},
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
	}
	time.Sleep(7 * time.Second) // three or four ticks
	for _, m := range replicas {
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := replicas[0].Lake.Runs(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	byTrigger := map[string]int{}
	for _, r := range runs {
		byTrigger[r.Trigger]++
		if r.Status == releaselake.RunFailed {
			t.Errorf("run %s failed: %s", r.ID, r.Error)
		}
	}
	locks, _ := os.ReadDir(filepath.Join(dir, "lake", "_locks"))
	ticks := 0
	for _, l := range locks {
		if strings.HasPrefix(l.Name(), "tick-") {
			ticks++
		}
	}
	if byTrigger["startup"] != 1 || ticks < 2 || byTrigger["schedule"] != ticks {
		t.Errorf("runs by trigger %v for %d claimed ticks; want one startup run and one run per tick", byTrigger, ticks)
	}
	// Both replicas loaded the committed version.
	head, _ := replicas[0].Lake.Head(context.Background())
	for i, m := range replicas {
		if ix := m.index.Load(); ix == nil || ix.Version != head || head == releaselake.NoVersion {
			t.Errorf("replica %d serves %+v, head is %d", i, ix, head)
		}
	}
}
