package main

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/hdfs/hdfstest"
)

// The program end to end on the real HDFS: ingest from the fake GitHub into
// hdfs://, serve it, travel back in time, vacuum; the rows are the ones the
// same ingest gives on local disk.
func TestHDFS_ingestServeTimeTravel(t *testing.T) {
	gh := githubtest.NewServer(t)
	lakeURL := hdfstest.Lake(t)
	a := &app{t: t, lake: lakeURL, env: map[string]string{
		"RELEASELAKE_LAKE": lakeURL, "GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL,
	}}
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest into %s: exit %d\n%s", lakeURL, code, out)
	}
	local := &app{t: t, lake: t.TempDir(), env: map[string]string{
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL,
	}}
	local.env["RELEASELAKE_LAKE"] = local.lake
	if code, out := local.run("ingest"); code != 0 {
		t.Fatalf("ingest into %s: exit %d\n%s", local.lake, code, out)
	}
	onHDFS, onDisk := snapshotOf(t, lakeURL), snapshotOf(t, local.lake)
	if len(onHDFS.Releases) == 0 || !reflect.DeepEqual(comparable(onHDFS.Releases), comparable(onDisk.Releases)) {
		t.Fatalf("HDFS lake has %d rows, local lake %d: they differ", len(onHDFS.Releases), len(onDisk.Releases))
	}

	base := a.serve()
	var v0 struct {
		Lake struct {
			Version     int
			Rows        int
			CommittedAt time.Time
		}
	}
	query(t, base, `{ lake { version rows committedAt } }`, nil, &v0)
	if v0.Lake.Version != 0 || v0.Lake.Rows != len(onHDFS.Releases) {
		t.Fatalf("served lake = %+v, want v0 with %d rows", v0.Lake, len(onHDFS.Releases))
	}
	kafka0, total0 := allReleases(t, base, "kafka", nil)
	if total0 == 0 || len(kafka0) != total0 {
		t.Fatalf("kafka: %d of %d", len(kafka0), total0)
	}

	// A new release upstream, a second commit; serve picks it up.
	gh.AddTag("apache/kafka", githubtest.Tag{Name: "9.9.9", Date: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)})
	if code, out := a.run("ingest"); code != 0 || !strings.Contains(out, "version 1") {
		t.Fatalf("second ingest: exit %d\n%s", code, out)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, total := allReleases(t, base, "kafka", nil); total == total0+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not pick up v1 from HDFS")
		}
	}

	// asOf the first commit: what the lake knew then.
	var then struct {
		Releases struct{ TotalCount int }
		Latest   []struct{ Version string }
	}
	query(t, base, `query ($t: DateTime) {
		releases(products: ["kafka"], asOf: $t) { totalCount }
		latest(products: ["kafka"], asOf: $t) { version }
	}`, map[string]any{"t": v0.Lake.CommittedAt.Format(time.RFC3339Nano)}, &then)
	if then.Releases.TotalCount != total0 || len(then.Latest) != 1 || then.Latest[0].Version == "9.9.9" {
		t.Errorf("asOf v0 = %+v, want %d kafka releases and a latest before 9.9.9", then, total0)
	}

	if code, out := a.run("vacuum", "-dry-run"); code != 0 || !strings.Contains(out, "versions 0 and later stay readable") {
		t.Errorf("vacuum -dry-run on HDFS: exit %d\n%s", code, out)
	}
}

// snapshotOf reads the newest version of the lake at loc.
func snapshotOf(t *testing.T, loc string) releaselake.Snapshot {
	t.Helper()
	fsys, err := openFS(loc)
	if err != nil {
		t.Fatal(err)
	}
	s := lake.Open(fsys)
	defer s.Close()
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatalf("read %s: %v", loc, err)
	}
	return snap
}
