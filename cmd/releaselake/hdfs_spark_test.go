package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/hdfs/hdfstest"
)

// sparkRead is what scripts/spark-check.d/check.py prints.
type sparkRead struct {
	Spark      string            `json:"spark"`
	Rows       int               `json:"rows"`
	RowsV0     int               `json:"rows_v0"`
	Columns    map[string]string `json:"columns"`
	History    [][2]any          `json:"history"`
	Kafka      []sparkRelease    `json:"kafka"`
	Notes      [][3]string       `json:"notes"` // product, tag, notes of the rows with notes
	RedRows    int               `json:"red_rows"`
	RedColumns []string          `json:"red_columns"`
	RedRuns    []string          `json:"red_runs"`
	RedDays    []string          `json:"red_days"`
	// yellow_advisories: product, ghsa_id, vulnerable_range, first_patched, withdrawn
	Advisories      [][5]any          `json:"advisories"`
	AdvisoryColumns map[string]string `json:"advisory_columns"`
}

type sparkRelease struct {
	Tag         string `json:"tag"`
	Version     string `json:"version"`
	PublishedAt string `json:"published_at"`
	Prerelease  bool   `json:"prerelease"`
}

// Spark 4 with delta-spark reads the lake on HDFS: yellow as a Delta table,
// now and VERSION AS OF 0, and red as JSON lines with its partitions. Run by
// `make spark-check` (scripts/spark-check), which installs pyspark and
// delta-spark and sets RELEASELAKE_SPARK_PYTHON; skipped otherwise (Spark
// takes minutes to fetch and start, so it is not part of make test).
func TestHDFS_sparkReadsTheLake(t *testing.T) {
	py := os.Getenv("RELEASELAKE_SPARK_PYTHON")
	if py == "" {
		t.Skip("make spark-check runs this (RELEASELAKE_SPARK_PYTHON names a python with pyspark and delta-spark)")
	}
	gh := githubtest.NewServer(t)
	lakeURL := hdfstest.Lake(t)
	a := &app{t: t, lake: lakeURL, env: map[string]string{
		"RELEASELAKE_LAKE": lakeURL, "GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL,
	}}
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest: exit %d\n%s", code, out)
	}
	v0 := snapshotOf(t, lakeURL)
	// Ten more versions, so that Spark reads the newest through the checkpoint
	// of version 10 (and _last_checkpoint).
	for v := 1; v <= 10; v++ {
		gh.AddTag("apache/kafka", githubtest.Tag{Name: fmt.Sprintf("9.9.%d", v), Date: time.Date(2031, 1, v, 12, 0, 0, 0, time.UTC)})
		if code, out := a.run("ingest"); code != 0 || !strings.Contains(out, fmt.Sprintf("version %d,", v)) {
			t.Fatalf("ingest %d: exit %d\n%s", v, code, out)
		}
	}
	v1 := snapshotOf(t, lakeURL)
	if _, err := mustFS(t, lakeURL).Stat(context.Background(), "yellow/_delta_log/_last_checkpoint"); err != nil {
		t.Fatalf("no checkpoint after 11 versions: %v", err)
	}

	start := time.Now()
	cmd := exec.Command(py, filepath.Join("..", "..", "scripts", "spark-check.d", "check.py"), lakeURL)
	cmd.Env = append(os.Environ(), "HADOOP_USER_NAME=releaselake-test")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("spark: %v\n%s", err, tail(stderr.String(), 60))
	}
	var got sparkRead
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("spark output: %v\n%s", err, out)
	}
	t.Logf("Spark %s read the lake in %s: %d rows at v%d (through its checkpoint), %d at VERSION AS OF 0, %d red lines in %d runs",
		got.Spark, time.Since(start).Round(time.Second), got.Rows, v1.Version, got.RowsV0, got.RedRows, len(got.RedRuns))

	if got.Rows != len(v1.Releases) || got.RowsV0 != len(v0.Releases) {
		t.Errorf("Spark read %d rows now and %d at version 0; the lake has %d and %d", got.Rows, got.RowsV0, len(v1.Releases), len(v0.Releases))
	}
	wantCols := map[string]string{"product": "string", "tag": "string", "version": "string", "name": "string",
		"url": "string", "source": "string", "repo": "string", "date_source": "string",
		"published_at": "timestamp", "first_seen_at": "timestamp", "prerelease": "boolean", "yanked": "boolean", "notes": "string"}
	if !mapsEqual(got.Columns, wantCols) {
		t.Errorf("Spark schema = %v, want %v", got.Columns, wantCols)
	}
	if len(got.History) != 11 || got.History[0][1] != "INGEST" {
		t.Errorf("DESCRIBE HISTORY = %v, want 11 INGEST versions", got.History)
	}
	var kafka []sparkRelease
	for _, r := range v1.Releases {
		if r.Product == "kafka" {
			kafka = append(kafka, sparkRelease{Tag: r.Tag, Version: r.Version, Prerelease: r.Prerelease,
				PublishedAt: r.PublishedAt.UTC().Format("2006-01-02 15:04:05")})
		}
	}
	slices.SortFunc(kafka, func(a, b sparkRelease) int { return strings.Compare(a.Tag, b.Tag) })
	for i := range got.Kafka { // Spark prints whole seconds without a fraction
		got.Kafka[i].PublishedAt = strings.TrimSuffix(got.Kafka[i].PublishedAt, ".000000")
	}
	if fmt.Sprint(got.Kafka) != fmt.Sprint(kafka) {
		t.Errorf("kafka rows read by Spark differ from the lake's:\n spark %v\n lake  %v", got.Kafka, kafka)
	}

	// notes: every release that has notes, with the same text.
	var notes [][3]string
	for _, r := range v1.Releases {
		if r.Notes != "" {
			notes = append(notes, [3]string{r.Product, r.Tag, r.Notes})
		}
	}
	slices.SortFunc(notes, func(a, b [3]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
	if len(notes) == 0 || !slices.Equal(got.Notes, notes) {
		t.Errorf("Spark read notes on %d releases; the lake has %d (want equal and more than 0)", len(got.Notes), len(notes))
	}

	// yellow_advisories: the rows the lake holds (flask's two ranges of
	// GHSA-m2qf-hxjv-5gpq, from the fake GitHub), nullable columns as null.
	s := lake.Open(mustFS(t, lakeURL))
	adv, err := s.AdvisoriesFor(context.Background(), math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	var wantAdv [][5]any
	for _, a := range adv.Advisories {
		var fp any
		if a.FirstPatched != "" {
			fp = a.FirstPatched
		}
		wantAdv = append(wantAdv, [5]any{a.Product, a.GHSAID, a.VulnerableRange, fp, a.Withdrawn()})
	}
	if len(wantAdv) == 0 || fmt.Sprint(got.Advisories) != fmt.Sprint(wantAdv) {
		t.Errorf("Spark read yellow_advisories as %v; the lake has %v (want equal, not empty)", got.Advisories, wantAdv)
	}
	if got.AdvisoryColumns["withdrawn_at"] != "timestamp" || got.AdvisoryColumns["first_patched"] != "string" || len(got.AdvisoryColumns) != 12 {
		t.Errorf("Spark schema of yellow_advisories = %v", got.AdvisoryColumns)
	}

	// red: every line of every run, with dt and run discovered as partitions.
	runs, err := s.RedRuns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	var ids []string
	for _, run := range runs {
		ids = append(ids, run.ID)
		for _, src := range run.Sources {
			l, err := s.ReadRed(context.Background(), run, src)
			if err != nil {
				t.Fatal(err)
			}
			lines += len(l)
		}
	}
	if got.RedRows != lines || !slices.Equal(got.RedRuns, ids) || !slices.Contains(got.RedColumns, "dt") || !slices.Contains(got.RedColumns, "run") {
		t.Errorf("Spark read red as %d lines of runs %v with columns %v; the lake has %d lines of runs %v",
			got.RedRows, got.RedRuns, got.RedColumns, lines, ids)
	}
}

func mustFS(t *testing.T, loc string) lake.FS {
	t.Helper()
	fsys, err := openFS(loc)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
