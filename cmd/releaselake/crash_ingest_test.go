package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/hdfs/hdfstest"
)

// The crash test: `releaselake ingest` runs killed with SIGKILL at random
// moments. After each kill the table opens at a committed version with no
// lost or duplicated rows; the next run completes, commits, and leaves no
// orphan behind; at the end `vacuum -retention 0` leaves only what the table
// needs, and the table equals a fresh ingest of the same upstream.

// crashRuns is how many runs each crash test kills.
const crashRuns = 30

func TestCrash_ingestKilledAtRandom_localDisk(t *testing.T) {
	testCrash(t, filepath.Join(t.TempDir(), "lake"))
}

func TestCrash_ingestKilledAtRandom_HDFS(t *testing.T) {
	testCrash(t, hdfstest.Lake(t))
}

// TestCrashChild is the process the crash tests kill: `releaselake ingest`
// as main runs it, with a short ingest lease (2 s instead of 1 min) so that
// the run after a killed one takes the dead run's lease over within seconds.
func TestCrashChild(t *testing.T) {
	if os.Getenv("RELEASELAKE_CRASH_CHILD") != "1" {
		t.Skip("the process the crash tests start and kill")
	}
	m := NewMain(os.Stderr)
	if err := m.Config.ParseFlags("ingest", nil, os.Getenv, os.Stderr); err != nil {
		os.Exit(2)
	}
	if err := m.Open(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	m.Runner.LeaseTTL = 2 * time.Second
	run, err := m.Ingest(context.Background(), "cli", nil)
	json.NewEncoder(os.Stdout).Encode(run)
	if err != nil {
		fmt.Fprintln(os.Stderr, "could not commit:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// crashProducts are the catalog entries with fixture repositories.
var crashProducts = []string{"kafka", "flask", "mybatis", "prometheus", "fastapi", "seaborn"}

type crashEnv struct {
	t    *testing.T
	env  []string
	lake string
	logs *bytes.Buffer
	late int // runs killed whose commit landed after the kill (HDFS lease recovery)
}

// start starts an ingest process.
func (c *crashEnv) start() (*exec.Cmd, *bytes.Buffer) {
	c.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), c.env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = c.logs
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	return cmd, &out
}

// complete runs an ingest to its end and returns its record; it must commit.
//
// On HDFS a run killed after its log entry reached the DataNodes but before
// the NameNode closed the file may still commit: when its lease is recovered
// (the next writer's attempt to claim the name starts that), the entry is
// complete. The table then moves to the killed run's version, as if it had
// been killed just after committing, and the run that raced it gets a
// Conflict: the ingest does not retry a conflict, so complete runs it again
// (c.late counts these).
func (c *crashEnv) complete() (releaselake.Run, time.Duration) {
	c.t.Helper()
	start := time.Now()
	cmd, out := c.start()
	err := cmd.Wait()
	took := time.Since(start)
	var run releaselake.Run
	jerr := json.Unmarshal(out.Bytes(), &run)
	if err != nil && jerr == nil && strings.Contains(run.Error, "committed by another writer") && c.late < crashRuns {
		c.late++
		c.t.Logf("the run after a kill lost to the killed run's late commit (%s); running again", run.Error)
		return c.complete()
	}
	if err != nil || jerr != nil {
		c.t.Fatalf("ingest: %v (%v); output %q; log:\n%s", err, jerr, out, tail(c.logs.String(), 40))
	}
	if run.Version == releaselake.NoVersion {
		c.t.Fatalf("ingest committed nothing: %+v", run)
	}
	return run, took
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func testCrash(t *testing.T, lakeLoc string) {
	gh := githubtest.NewServer(t)
	cat := catalogOf(t, crashProducts...)
	c := &crashEnv{t: t, lake: lakeLoc, logs: &bytes.Buffer{}, env: []string{
		"RELEASELAKE_CRASH_CHILD=1", "RELEASELAKE_LAKE=" + lakeLoc, "RELEASELAKE_CATALOG=" + cat,
		"GITHUB_TOKEN=" + gh.Token, "GITHUB_GRAPHQL_URL=" + gh.URL, "RELEASELAKE_LOG=text",
	}}
	fsys, err := openFS(lakeLoc)
	if err != nil {
		t.Fatal(err)
	}
	store := lake.Open(fsys, lake.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer store.Close()
	ctx := context.Background()

	first, took := c.complete()
	t.Logf("first run: v%d, %d rows, %s", first.Version, first.Rows, took.Round(time.Millisecond))
	tagDate := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	addTag := func(name string) {
		tagDate = tagDate.Add(time.Hour)
		gh.AddTag("apache/kafka", githubtest.Tag{Name: name, Date: tagDate})
	}
	// Kill moments are drawn from the length of a run like the killed ones
	// (incremental, no lease to wait for): process start to exit.
	addTag("9.999.0")
	calib, took := c.complete()
	prev := rowKeys(t, mustSnapshot(t, store, calib.Version))

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("RELEASELAKE_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (RELEASELAKE_CRASH_SEED to repeat)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	var killedBefore, killedAfter, finished int
	var slowest time.Duration
	for i := range crashRuns {
		addTag(fmt.Sprintf("9.%d.0", i))
		before, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Int64N(int64(took) * 6 / 5)) // to a little past the end
		cmd, _ := c.start()
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		werr := cmd.Wait()
		if werr == nil {
			finished++
		}

		// The table opens at a committed version: the one before the run, or
		// the run's own; no row lost or duplicated.
		head, err := store.Head(ctx)
		if err != nil {
			t.Fatalf("run %d killed after %s: Head: %v", i, delay, err)
		}
		switch {
		case werr == nil:
		case head == before:
			killedBefore++
		default:
			killedAfter++
		}
		if head != before && head != before+1 {
			t.Fatalf("run %d killed after %s: head went from v%d to v%d", i, delay, before, head)
		}
		keys := rowKeys(t, mustSnapshot(t, store, head))
		if missing := minus(prev, keys); len(missing) > 0 {
			t.Fatalf("run %d killed after %s: v%d lost rows %v", i, delay, head, missing)
		}

		// The next run completes and commits, and no orphan is left.
		addTag(fmt.Sprintf("9.%d.1", i))
		run, d := c.complete()
		slowest = max(slowest, d)
		if d < time.Second { // not slowed by waiting for a dead run's lease
			took = d
		}
		t.Logf("run %d: killed after %s (exit %v), v%d -> v%d; next run %s", i, delay.Round(time.Millisecond), werr, before, head, d.Round(time.Millisecond))
		snap := mustSnapshot(t, store, run.Version)
		keys = rowKeys(t, snap)
		for _, tag := range []string{fmt.Sprintf("kafka/9.%d.0", i), fmt.Sprintf("kafka/9.%d.1", i)} {
			if !slices.Contains(keys, tag) {
				t.Fatalf("run after kill %d: v%d lacks %s", i, run.Version, tag)
			}
		}
		if missing := minus(prev, keys); len(missing) > 0 {
			t.Fatalf("run after kill %d: v%d lost rows %v", i, run.Version, missing)
		}
		assertNoOrphans(t, fsys, run.Version)
		prev = keys
	}
	t.Logf("%d runs killed before committing, %d after committing (%d of them committed late, by lease recovery), %d finished before the kill; slowest run after a kill %s",
		killedBefore, killedAfter, c.late, finished, slowest.Round(time.Millisecond))
	if killedBefore == 0 {
		t.Error("no run was killed before it committed: the kill moments do not cover the run")
	}

	if !strings.Contains(lakeLoc, "://") {
		// delta-rs reads the table the crashes made as GraphQL serves it, now
		// (through _last_checkpoint) and at an older version (asOf).
		head, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		assertDeltaRSMatchesGraphQL(t, lakeLoc, cat, head/2)
	}

	// vacuum with no retention leaves the table's own files only.
	a := &app{t: t, env: map[string]string{"RELEASELAKE_LAKE": lakeLoc, "RELEASELAKE_CATALOG": cat}}
	code, out := a.run("vacuum", "-retention", "0")
	if code != 0 || !strings.Contains(out, "stay readable") {
		t.Fatalf("vacuum exit %d:\n%s", code, out)
	}
	t.Logf("vacuum: %s", tail(out, 1))
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	final := mustSnapshot(t, store, head)
	assertOnlyTableFiles(t, fsys, final.Version)

	// The same rows as one ingest of the same upstream into a new lake.
	refDir := filepath.Join(t.TempDir(), "reference")
	ref := &app{t: t, env: map[string]string{"RELEASELAKE_LAKE": refDir, "RELEASELAKE_CATALOG": cat,
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL}}
	if code, out := ref.run("ingest"); code != 0 {
		t.Fatalf("reference ingest exit %d:\n%s", code, out)
	}
	refFS, _ := openFS(refDir)
	want := mustSnapshot(t, lake.Open(refFS), 0)
	if got, exp := comparable(final.Releases), comparable(want.Releases); !reflect.DeepEqual(got, exp) {
		t.Errorf("after %d crashes the table has %d rows, a fresh ingest %d; first difference: %s",
			crashRuns, len(got), len(exp), firstDiff(got, exp))
	}
}

func mustSnapshot(t *testing.T, s *lake.Store, v int64) releaselake.Snapshot {
	t.Helper()
	snap, err := s.SnapshotAt(context.Background(), v)
	if err != nil {
		t.Fatalf("read v%d: %v", v, err)
	}
	return snap
}

// rowKeys returns the (product, tag) keys of a snapshot, failing on duplicates.
func rowKeys(t *testing.T, snap releaselake.Snapshot) []string {
	t.Helper()
	var keys []string
	seen := map[string]bool{}
	for _, r := range snap.Releases {
		k := r.Product + "/" + r.Tag
		if seen[k] {
			t.Fatalf("v%d holds %s twice", snap.Version, k)
		}
		seen[k] = true
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// minus returns the keys of a that b lacks.
func minus(a, b []string) []string {
	var out []string
	for _, k := range a {
		if _, ok := slices.BinarySearch(b, k); !ok {
			out = append(out, k)
		}
	}
	return out
}

// comparable returns rows without firstSeenAt (when this lake first saw a
// row differs between lakes), sorted.
func comparable(rows []releaselake.Release) []releaselake.Release {
	out := slices.Clone(rows)
	for i := range out {
		out[i].FirstSeenAt = time.Time{}
	}
	slices.SortFunc(out, func(a, b releaselake.Release) int {
		return strings.Compare(a.Product+"/"+a.Tag, b.Product+"/"+b.Tag)
	})
	return out
}

func firstDiff(a, b []releaselake.Release) string {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			return fmt.Sprintf("%+v vs %+v", a[i], b[i])
		}
	}
	return "one is a prefix of the other"
}

// logAdds reads every log entry up to head straight from the files and
// returns the data files they add; every entry must be complete.
func logAdds(t *testing.T, fsys lake.FS, head int64) map[string]bool {
	t.Helper()
	adds := map[string]bool{}
	for v := int64(0); v <= head; v++ {
		data := readLakeFile(t, fsys, fmt.Sprintf("yellow/_delta_log/%020d.json", v))
		complete := false
		for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var a struct {
				Add        *struct{ Path string }
				CommitInfo json.RawMessage
			}
			if err := json.Unmarshal(line, &a); err != nil {
				t.Fatalf("log entry %d: %v: %q", v, err, line)
			}
			if a.Add != nil {
				adds["yellow/"+a.Add.Path] = true
			}
			complete = complete || a.CommitInfo != nil
		}
		if !complete {
			t.Fatalf("log entry %d below the head %d is incomplete", v, head)
		}
	}
	return adds
}

var entryTemp = regexp.MustCompile(`^\.[0-9]{20}\.json\.`)

// assertNoOrphans checks that every data file is named by the log, nothing is
// staged, and no temporary file of a committed log entry is left.
func assertNoOrphans(t *testing.T, fsys lake.FS, head int64) {
	t.Helper()
	adds := logAdds(t, fsys, head)
	for _, fi := range readLakeDir(t, fsys, "yellow") {
		if !fi.IsDir() && strings.HasSuffix(fi.Name(), ".parquet") && !adds["yellow/"+fi.Name()] {
			t.Errorf("orphan data file yellow/%s after the run of v%d", fi.Name(), head)
		}
	}
	if staged := readLakeDir(t, fsys, "yellow/_staging"); len(staged) > 0 {
		t.Errorf("yellow/_staging holds %d files after the run of v%d", len(staged), head)
	}
	for _, fi := range readLakeDir(t, fsys, "yellow/_delta_log") {
		if entryTemp.MatchString(fi.Name()) {
			t.Errorf("temporary file of a committed entry left: %s", fi.Name())
		}
	}
}

// assertOnlyTableFiles checks that, after vacuum with no retention, the lake
// holds no temporary file anywhere and yellow/ only the head's data files.
func assertOnlyTableFiles(t *testing.T, fsys lake.FS, head int64) {
	t.Helper()
	var walk func(dir string)
	walk = func(dir string) {
		for _, fi := range readLakeDir(t, fsys, dir) {
			name := fi.Name()
			if dir != "." {
				name = dir + "/" + fi.Name()
			}
			if strings.HasPrefix(fi.Name(), ".") {
				t.Errorf("temporary file left after vacuum: %s (modified %s, %d bytes)", name, fi.ModTime().Format(time.RFC3339Nano), fi.Size())
			}
			if fi.IsDir() {
				walk(name)
			}
		}
	}
	walk(".")
	live := 0
	for _, fi := range readLakeDir(t, fsys, "yellow") {
		if strings.HasSuffix(fi.Name(), ".parquet") {
			live++
		}
	}
	if live != 1 {
		t.Errorf("yellow/ holds %d data files after vacuum -retention 0, want the head's one", live)
	}
}

func readLakeDir(t *testing.T, fsys lake.FS, dir string) []fs.FileInfo {
	t.Helper()
	infos, err := fsys.ReadDir(context.Background(), dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("list %s: %v", dir, err)
	}
	return infos
}

func readLakeFile(t *testing.T, fsys lake.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
