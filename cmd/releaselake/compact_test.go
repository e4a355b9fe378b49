package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/laketest"
	"github.com/releaselake/releaselake/lake/localfs"
)

// smallFilesLake commits, at 100 rows a file, ten files of two products (90
// rows and 10), then takes the 90-row products out: ten neighbouring files of
// 10 rows, past the threshold at which the schedule compacts. It returns the
// rows of the head, v1.
func smallFilesLake(t *testing.T, dir string) []releaselake.Release {
	t.Helper()
	s := lake.Open(localfs.New(dir), lake.WithFileRows(100))
	defer s.Close()
	ctx := context.Background()
	var all, small []releaselake.Release
	for p := range 20 {
		n := 90
		if p%2 == 1 {
			n = 10
		}
		for i := range n {
			tag := fmt.Sprintf("1.%d.0", i)
			r := releaselake.Release{Product: fmt.Sprintf("synthetic%02d", p), Tag: tag, Version: tag, Name: tag,
				URL: "https://example.com/" + tag, Source: releaselake.SourceGitHubTag, Repo: "example/p", DateSource: releaselake.DateTagger,
				PublishedAt: time.Date(2020, 1, 1+i, 0, 0, 0, 0, time.UTC), FirstSeenAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			all = append(all, r)
			if n == 10 {
				small = append(small, r)
			}
		}
	}
	for base, rows := range [][]releaselake.Release{all, small} {
		if _, err := s.Commit(ctx, int64(base)-1, rows, releaselake.CommitInfo{RunID: fmt.Sprintf("setup-%d", base), Operation: "INGEST", At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.Layout(ctx)
	if err != nil || l.Version != 1 || l.Files != 10 || !l.NeedsOptimize() {
		t.Fatalf("the lake made to compact: %+v, %v; want v1, 10 files, past the threshold", l, err)
	}
	return small
}

// After an ingest that commits, the runner compacts a lake whose small files
// passed the threshold (the schedule, the runIngest mutation and the ingest
// command share the runner): one more version, OPTIMIZE, the same rows, and
// the run's record has a compact step without error. A run that commits
// nothing does not compact.
func TestIngest_compactsOnceSmallFilesPassTheThreshold(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lake")
	synthetic := smallFilesLake(t, dir)
	gh := githubtest.NewServer(t)
	a := &app{t: t, lake: dir, env: map[string]string{"RELEASELAKE_LAKE": dir, "RELEASELAKE_CATALOG": catalogOf(t, "flask"),
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL, "RELEASELAKE_LOG": "text"}}
	code, out := a.run("ingest")
	if code != 0 || !strings.Contains(out, "version 2,") || !strings.Contains(out, `msg="compacted yellow" version=3 files_before=10 files_after=1`) {
		t.Fatalf("ingest: exit %d, want v2 committed and compacted as v3 (10 files -> 1):\n%s", code, out)
	}

	s := lake.Open(mustFS(t, dir))
	defer s.Close()
	ctx := context.Background()
	runs, err := s.Runs(ctx, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("run records: %v %v", runs, err)
	}
	i := slices.IndexFunc(runs[0].Steps, func(st releaselake.RunStep) bool { return st.Name == "compact" })
	if runs[0].Version != 2 || i < 0 || runs[0].Steps[i].Error != "" {
		t.Errorf("the run record: v%d, steps %+v; want v2 with a compact step without error", runs[0].Version, runs[0].Steps)
	}
	v2, v3 := mustSnapshot(t, s, 2), mustSnapshot(t, s, 3)
	if got, want := lakeRows(v3.Releases), lakeRows(v2.Releases); !slices.Equal(got, want) || len(got) != len(synthetic)+62 {
		t.Errorf("v3 (the compaction) has %d rows, v2 %d; want the same %d (the synthetic products' and flask's 62)", len(got), len(want), len(synthetic)+62)
	}
	assertOptimizeEntry(t, dir, 3, true)
	if l, err := s.Layout(ctx); err != nil || l.Version != 3 || l.NeedsOptimize() {
		t.Errorf("layout after the compaction: %+v, %v; want v3, not past the threshold", l, err)
	}

	code, out = a.run("ingest")
	if code != 0 || !strings.Contains(out, "version -1,") || strings.Contains(out, "compact") {
		t.Errorf("an ingest with nothing new: exit %d, want no commit and no compaction:\n%s", code, out)
	}
	if head, _ := s.Head(ctx); head != 3 {
		t.Errorf("head v%d after an ingest with nothing new, want v3", head)
	}
}

// A commit landing while the compact step optimizes (another process's
// ingest won the race) makes the real Store.Optimize fail with Conflict: the
// step logs it at info and is no error, and the table is the winner's.
func TestCompactStep_aCommitThatWinsTheRaceIsNoError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lake")
	rows := smallFilesLake(t, dir)
	ctx := context.Background()
	racer := lake.Open(localfs.New(dir))
	defer racer.Close()
	raced := false
	fsys := &laketest.FaultFS{FS: localfs.New(dir)}
	fsys.PublishFunc = func(ctx context.Context, name string, data []byte) error {
		if name == "yellow/_delta_log/00000000000000000002.json" && !raced {
			raced = true
			more := append(slices.Clone(rows), rows[0])
			more[len(more)-1].Tag, more[len(more)-1].Version = "9.9.9", "9.9.9"
			if _, err := racer.Commit(ctx, 1, more, releaselake.CommitInfo{RunID: "racer", Operation: "INGEST", At: time.Now()}); err != nil {
				t.Errorf("the racing commit: %v", err)
			}
		}
		return fsys.FS.Publish(ctx, name, data)
	}
	s := lake.Open(fsys)
	defer s.Close()
	var logs strings.Builder
	err := compactStep(s, slog.New(slog.NewTextHandler(&logs, nil)))(ctx)
	if err != nil || !raced || !strings.Contains(logs.String(), `level=INFO msg="compaction skipped: a commit landed meanwhile`) {
		t.Fatalf("compact step racing a commit: error %v, raced %v, log:\n%s", err, raced, logs.String())
	}
	snap := mustSnapshot(t, racer, 2)
	if head, _ := racer.Head(ctx); head != 2 || len(snap.Releases) != len(rows)+1 {
		t.Errorf("head v%d with %d rows; want the racer's v2 with %d", head, len(snap.Releases), len(rows)+1)
	}

	// The next time, nothing races: it compacts the winner's version, and
	// the losing attempt's files are gone.
	logs.Reset()
	if err := compactStep(s, slog.New(slog.NewTextHandler(&logs, nil)))(ctx); err != nil || !strings.Contains(logs.String(), `msg="compacted yellow" version=3`) {
		t.Fatalf("compact step after the race: %v\n%s", err, logs.String())
	}
	if got, want := lakeRows(mustSnapshot(t, racer, 3).Releases), lakeRows(snap.Releases); !slices.Equal(got, want) {
		t.Errorf("v3 (the compaction) has %d rows, v2 %d; want the same", len(got), len(want))
	}
	assertOptimizeEntry(t, dir, 3, true)
	assertNoOrphans(t, localfs.New(dir), 3)
}
