package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/releaselake/releaselake/lake/hdfs/hdfstest"
)

// Spark and GraphQL agree at every version of a lake on HDFS built by ingests,
// a rebuild, `releaselake optimize` and more ingests (agreeIngests): Spark's
// SELECT ... VERSION AS OF v (scripts/spark-check.d/versions.py) gives the rows
// of releases(asOf: <v's commit time>), column by column, v10 through its
// checkpoint. Spark's history names the optimize OPTIMIZE, and its change feed
// over it holds no row (over the ingest after it, some). Run by make
// spark-check, skipped otherwise (see TestHDFS_sparkReadsTheLake).
func TestHDFS_sparkAgreesWithGraphQLAtEveryVersion(t *testing.T) {
	py := os.Getenv("RELEASELAKE_SPARK_PYTHON")
	if py == "" {
		t.Skip("make spark-check runs this (RELEASELAKE_SPARK_PYTHON names a python with pyspark and delta-spark)")
	}
	lakeURL := hdfstest.Lake(t)
	l := agreeIngests(t, lakeURL)

	start := time.Now()
	var got struct {
		Spark     string
		History   [][2]any
		At        map[string][]map[string]any
		CDF       map[string][]map[string]any
		WithNotes map[string][][2]string `json:"with_notes"`
		ByName    [][2]string            `json:"by_name"`
		ByURL     [][2]string            `json:"by_url"`
	}
	// A name and a URL of the newest version to filter on: flask 9.0.1's.
	newest := l.rows[l.head]
	i := slices.IndexFunc(newest, func(r agreeRow) bool { return r.key() == "flask/9.0.1" })
	if i < 0 {
		t.Fatal("the newest version has no flask 9.0.1")
	}
	name, url := newest[i].Name, newest[i].URL
	pythonJSON(t, []string{"HADOOP_USER_NAME=releaselake-test"}, &got, py,
		filepath.Join("..", "..", "scripts", "spark-check.d", "versions.py"), lakeURL, name, url)
	t.Logf("Spark %s read %d versions and the change feed of %d in %s", got.Spark, len(got.At), len(got.CDF), time.Since(start).Round(time.Second))

	var ops []string
	for _, h := range got.History {
		ops = append(ops, fmt.Sprint(h[1]))
	}
	if len(ops) != int(l.head)+1 || ops[l.optimize] != "OPTIMIZE" {
		t.Errorf("Spark's DESCRIBE HISTORY: %q; want %d versions, v%d OPTIMIZE", ops, l.head+1, l.optimize)
	}
	var rows [][]agreeRow
	for v := range l.rows {
		rows = append(rows, columnRows(t, "Spark v"+strconv.Itoa(v), got.At[strconv.Itoa(v)]))
	}
	graphQL := graphQLAtEveryVersion(t, lakeURL, l)
	assertSameRows(t, "Spark", l, graphQL, rows)

	// Filtering on the free text (the statistics and page index let Spark
	// skip what cannot match) finds the rows that match.
	where := func(rows []agreeRow, match func(agreeRow) bool) [][2]string {
		var out [][2]string
		for _, r := range rows {
			if match(r) {
				out = append(out, [2]string{r.Product, r.Tag})
			}
		}
		return out
	}
	for v, rows := range l.rows {
		want := where(rows, func(r agreeRow) bool { return r.Notes != "" })
		if got := got.WithNotes[strconv.Itoa(v)]; len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("Spark, v%d WHERE notes <> '': %d rows; the lake has %d (want equal, more than 0)", v, len(got), len(want))
		}
	}
	if want := where(newest, func(r agreeRow) bool { return r.Name == name }); !slices.Equal(got.ByName, want) {
		t.Errorf("Spark WHERE name = %q: %v, want %v", name, got.ByName, want)
	}
	if want := where(newest, func(r agreeRow) bool { return r.URL == url }); !slices.Equal(got.ByURL, want) {
		t.Errorf("Spark WHERE url = %q: %v, want %v", url, got.ByURL, want)
	}

	assertOptimizeEntry(t, lakeURL, l.optimize, true)
	for _, c := range []struct {
		v     int64
		empty bool
	}{{l.optimize, true}, {l.optimize + 1, false}} {
		cdf, ok := got.CDF[strconv.FormatInt(c.v, 10)]
		if !ok || (len(cdf) == 0) != c.empty {
			t.Errorf("Spark's change feed of v%d: %d rows (read: %v); want none: %v\n%v", c.v, len(cdf), ok, c.empty, cdf)
		}
	}
}
