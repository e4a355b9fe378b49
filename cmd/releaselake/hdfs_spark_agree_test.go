package main

import (
	"fmt"
	"os"
	"path/filepath"
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
		Spark   string
		History [][2]any
		At      map[string][]map[string]any
		CDF     map[string][]map[string]any
	}
	pythonJSON(t, []string{"HADOOP_USER_NAME=releaselake-test"}, &got, py,
		filepath.Join("..", "..", "scripts", "spark-check.d", "versions.py"), lakeURL)
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
