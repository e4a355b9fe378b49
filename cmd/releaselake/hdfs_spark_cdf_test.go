package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake/hdfs/hdfstest"
)

// Spark's readChangeFeed (startingVersion 1) reads, after real ingests into
// HDFS, the change feed the lake's own reader gives. Run by make spark-check,
// skipped otherwise (see TestHDFS_sparkReadsTheLake).
func TestHDFS_sparkReadsTheChangeFeed(t *testing.T) {
	py := os.Getenv("RELEASELAKE_SPARK_PYTHON")
	if py == "" {
		t.Skip("make spark-check runs this (RELEASELAKE_SPARK_PYTHON names a python with pyspark and delta-spark)")
	}
	lakeURL := hdfstest.Lake(t)
	want, _ := changeIngests(t, lakeURL)

	cmd := exec.Command(py, filepath.Join("..", "..", "scripts", "spark-check.d", "changes.py"), lakeURL)
	cmd.Env = append(os.Environ(), "HADOOP_USER_NAME=releaselake-test")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("spark: %v\n%s", err, tail(stderr.String(), 60))
	}
	var got struct {
		Spark string
		Rows  []struct {
			Product    string `json:"product"`
			Tag        string `json:"tag"`
			Prerelease bool   `json:"prerelease"`
			ChangeType string `json:"_change_type"`
			Version    int64  `json:"_commit_version"`
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("spark output: %v\n%s", err, out)
	}
	var keys []string
	for _, r := range got.Rows {
		keys = append(keys, feedKey(r.Version, releaselake.ChangeType(r.ChangeType), &releaselake.Release{Product: r.Product, Tag: r.Tag, Prerelease: r.Prerelease}))
	}
	slices.Sort(keys)
	t.Logf("Spark %s read %d change feed rows", got.Spark, len(keys))
	if !slices.Equal(keys, want) {
		t.Errorf("readChangeFeed from v1:\n got  %q\n want %q", keys, want)
	}
}
