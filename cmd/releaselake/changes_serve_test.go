package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/graph"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// gqlChanges is Query.changes as the tests select it.
type gqlChanges struct {
	Changes struct {
		Through  int64
		HasMore  bool
		Versions []struct {
			Version   int64
			Truncated bool
			Added     []gqlChangeRow
			Removed   []gqlChangeRow
			Changed   []struct {
				Release, Before gqlChangeRow
				Fields          []string
			}
		}
	}
}

type gqlChangeRow struct {
	Product    struct{ Key string }
	Tag        string
	Prerelease bool
}

func (r gqlChangeRow) release() *releaselake.Release {
	return &releaselake.Release{Product: r.Product.Key, Tag: r.Tag, Prerelease: r.Prerelease}
}

const changesQuery = `query ($since: Int, $first: Int, $p: [String!]) {
  changes(since: $since, first: $first, products: $p) {
    through hasMore
    versions {
      version truncated
      added { product { key } tag prerelease }
      removed { product { key } tag prerelease }
      changed { release { product { key } tag prerelease } before { product { key } tag prerelease } fields }
    }
  }
}`

// keys flattens an answer as feedKey does the lake's feed.
func (c gqlChanges) keys() []string {
	var out []string
	for _, v := range c.Changes.Versions {
		for _, r := range v.Added {
			out = append(out, feedKey(v.Version, releaselake.ChangeInsert, r.release()))
		}
		for _, r := range v.Removed {
			out = append(out, feedKey(v.Version, releaselake.ChangeDelete, r.release()))
		}
		for _, c := range v.Changed {
			out = append(out, feedKey(v.Version, releaselake.ChangePreimage, c.Before.release()),
				feedKey(v.Version, releaselake.ChangePostimage, c.Release.release()))
		}
	}
	slices.Sort(out)
	return out
}

// GraphQL changes, served by the real server over a lake that real ingests
// wrote, answers the rows the change feed holds (which delta-rs and Spark
// read too: TestIngest_changeFeedReadByDeltaRS), and its bounds hold.
func TestServe_changesAnswersTheChangeFeed(t *testing.T) {
	want, a := changeIngests(t, filepath.Join(t.TempDir(), "lake"))
	base := a.serve()

	var got gqlChanges
	query(t, base, changesQuery, map[string]any{"since": 0}, &got)
	if keys := got.keys(); !slices.Equal(keys, want) || got.Changes.Through != 3 || got.Changes.HasMore {
		t.Errorf("changes(since: 0) = %q through %d (more: %v); the change feed has %q through 3", keys, got.Changes.Through, got.Changes.HasMore, want)
	}
	if v := got.Changes.Versions; len(v) != 3 || len(v[1].Changed) != 1 || !slices.Equal(v[1].Changed[0].Fields, []string{"prerelease"}) {
		t.Errorf("v2's change = %+v, want one release whose prerelease changed", v)
	}

	// sinceTime: the versions committed after the instant; v1's commit time
	// gives v2 and v3.
	s := lake.Open(mustFS(t, a.lake))
	v1, err := s.SnapshotAt(context.Background(), 1)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	query(t, base, `query ($t: DateTime) { changes(sinceTime: $t) { through versions { version } } }`,
		map[string]any{"t": v1.CommittedAt.Format(time.RFC3339Nano)}, &got)
	if v := got.Changes.Versions; len(v) != 2 || v[0].Version != 2 || v[1].Version != 3 {
		t.Errorf("changes(sinceTime: v1's commit) = %+v, want v2 and v3", got.Changes)
	}

	// A page of one row: v1 only, then on from it.
	query(t, base, changesQuery, map[string]any{"since": 0, "first": 1}, &got)
	if len(got.Changes.Versions) != 1 || got.Changes.Through != 1 || !got.Changes.HasMore {
		t.Errorf("changes(since: 0, first: 1) = %+v, want v1 and more", got.Changes)
	}
	// Version 0 (the first load) is cut to first rows, and says so.
	query(t, base, changesQuery, map[string]any{"since": -1, "first": 2}, &got)
	if v := got.Changes.Versions; len(v) != 1 || v[0].Version != 0 || !v[0].Truncated || len(v[0].Added) != 2 || got.Changes.Through != 0 {
		t.Errorf("changes(since: -1, first: 2) = %+v, want v0 cut to 2 rows", got.Changes)
	}

	for _, c := range []struct{ name, q, code, msg string }{
		{"first over 100", `{ changes(since: 0, first: 101) { through } }`, "BAD_USER_INPUT", "first must be between 1 and 100"},
		{"first 0", `{ changes(since: 0, first: 0) { through } }`, "BAD_USER_INPUT", "first must be between 1 and 100"},
		{"neither since nor sinceTime", `{ changes { through } }`, "BAD_USER_INPUT", "exactly one of since and sinceTime"},
		{"both", `{ changes(since: 0, sinceTime: "2030-01-01T00:00:00Z") { through } }`, "BAD_USER_INPUT", "exactly one"},
		{"since below -1", `{ changes(since: -2) { through } }`, "BAD_USER_INPUT", "since must be a lake version"},
		{"unknown product", `{ changes(since: 0, products: ["nope"]) { through } }`, "BAD_USER_INPUT", "unknown product key(s): nope"},
		// 100 rows of every field, four releases a row: priced as a page of 100.
		{"too complex", `{ changes(since: 0) { versions { version committedAt truncated
			added { product { key name } tag version name url source repo dateSource publishedAt firstSeenAt prerelease yanked notes }
			removed { product { key name } tag version name url source repo dateSource publishedAt firstSeenAt prerelease yanked notes }
			changed { fields release { product { key name } tag version name url source repo dateSource publishedAt firstSeenAt prerelease yanked notes }
			          before { product { key name } tag version name url source repo dateSource publishedAt firstSeenAt prerelease yanked notes } } } } }`,
			"COMPLEXITY_LIMIT_EXCEEDED", "complexity"},
		// Each changes field may read 100 versions and 10,000 rows whatever it
		// returns: four of them in one operation are refused before any is read.
		{"four reads", `{ a: changes(since: 0, first: 1) { through } b: changes(since: 0, first: 1) { through }
			c: changes(since: 0, first: 1) { through } d: changes(since: 0, first: 1) { through } }`,
			"COMPLEXITY_LIMIT_EXCEEDED", "complexity"},
	} {
		r := query(t, base, c.q, nil, nil)
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != c.code || !strings.Contains(r.Errors[0].Message, c.msg) {
			t.Errorf("%s: errors %+v, want %s saying %q", c.name, r.Errors, c.code, c.msg)
		}
	}
}

// One answer reads at most 100 versions of the lake, however far back since
// is: a client cannot make one request read the whole log. Versions that
// change none of the asked products are left out, and through moves on.
func TestServe_changesReadsAtMost100Versions(t *testing.T) {
	rows := []releaselake.Release{{Product: "flask", Tag: "1.0.0", Version: "1.0.0", Source: releaselake.SourcePyPI, PublishedAt: lakeTime, FirstSeenAt: lakeTime}}
	var versions [][]releaselake.Release
	for v := range 105 {
		r := rows[0]
		r.Product, r.Tag = "django", fmt.Sprintf("%d.0.0", v)
		rows = append(rows, r)
		versions = append(versions, slices.Clone(rows))
	}
	base := serveVersions(t, versions)

	var got gqlChanges
	query(t, base, changesQuery, map[string]any{"since": -1, "p": []string{"flask"}}, &got)
	if c := got.Changes; c.Through != 99 || !c.HasMore || len(c.Versions) != 1 || c.Versions[0].Version != 0 {
		b, _ := json.Marshal(c)
		t.Errorf("changes(since: -1, products: [flask]) = %s, want v0's flask row, through 99 and more", b)
	}
	query(t, base, changesQuery, map[string]any{"since": 99, "p": []string{"flask"}}, &got)
	if c := got.Changes; c.Through != 104 || c.HasMore || len(c.Versions) != 0 {
		t.Errorf("changes(since: 99) = %+v, want through 104, no more", c)
	}
}

// A version with more change rows than one answer reads (MaxChangeRowsRead:
// here a first load of 10,001 rows) comes alone, truncated and empty: no
// request makes the server hold more than that many rows.
func TestServe_changesOfAHugeVersionAreNotRead(t *testing.T) {
	var rows []releaselake.Release
	for i := range graph.MaxChangeRowsRead + 1 {
		rows = append(rows, releaselake.Release{Product: "django", Tag: fmt.Sprintf("0.0.%d", i), Source: releaselake.SourcePyPI, PublishedAt: lakeTime, FirstSeenAt: lakeTime})
	}
	base := serveVersions(t, [][]releaselake.Release{rows, append(rows, releaselake.Release{Product: "flask", Tag: "1.0.0", PublishedAt: lakeTime, FirstSeenAt: lakeTime})})

	var got gqlChanges
	query(t, base, changesQuery, map[string]any{"since": -1}, &got)
	if c := got.Changes; c.Through != 0 || !c.HasMore || len(c.Versions) != 1 || !c.Versions[0].Truncated || len(c.Versions[0].Added) != 0 {
		t.Errorf("changes(since: -1) = %+v, want v0 alone, truncated and empty, through 0 and more", c)
	}
	query(t, base, changesQuery, map[string]any{"since": 0}, &got)
	if keys := got.keys(); !slices.Equal(keys, []string{"1 insert flask/1.0.0 prerelease=false"}) || got.Changes.HasMore {
		t.Errorf("changes(since: 0) = %q, want v1's flask row", keys)
	}
}

var lakeTime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// serveVersions commits each element of versions as the next version of a
// new lake and serves it.
func serveVersions(t *testing.T, versions [][]releaselake.Release) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lake")
	s := lake.Open(localfs.New(dir))
	for v, rows := range versions {
		if got, err := s.Commit(context.Background(), int64(v)-1, rows, releaselake.CommitInfo{Operation: "INGEST"}); err != nil || got != int64(v) {
			t.Fatalf("commit %d = v%d, %v", v, got, err)
		}
	}
	s.Close()
	a := &app{t: t, lake: dir, env: map[string]string{"RELEASELAKE_LAKE": dir}}
	return a.serve()
}
