package serving_test

import (
	"context"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
	"github.com/releaselake/releaselake/serving"
)

// The engine serves with each index the advisories committed with its yellow
// version, and picks up an advisories commit, or new product facts, that came
// without a new yellow version.
func TestEngine_servesAdvisoriesWithTheirYellowVersion(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := lake.Open(localfs.New(t.TempDir()))
	at := time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC)
	rel := releaselake.Release{Product: "flask", Tag: "2.3.1", Version: "2.3.1", Name: "2.3.1", URL: "https://github.com/pallets/flask/releases/tag/2.3.1",
		Source: releaselake.SourceGitHubRelease, Repo: "pallets/flask", DateSource: releaselake.DateReleasePublished, PublishedAt: at, FirstSeenAt: at}
	if _, err := store.Commit(ctx, releaselake.NoVersion, []releaselake.Release{rel}, releaselake.CommitInfo{RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	a := releaselake.Advisory{Product: "flask", GHSAID: "GHSA-m2qf-hxjv-5gpq", Summary: "s", Severity: "HIGH",
		VulnerableRange: ">= 2.3.0, < 2.3.2", FirstPatched: "2.3.2", PublishedAt: at, UpdatedAt: at,
		URL: "https://github.com/advisories/GHSA-m2qf-hxjv-5gpq", Ecosystem: "PIP", Package: "flask"}
	b := a
	b.VulnerableRange, b.FirstPatched = "< 2.2.5", "2.2.5"
	// Committed with a later yellow version than the one served: not served.
	if _, err := store.CommitAdvisories(ctx, releaselake.NoVersion, []releaselake.Advisory{a, b}, 1, releaselake.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	e := serving.New(store, serving.Options{Poll: 10 * time.Millisecond})
	go e.Run(ctx)
	wait := func(what string, ok func(*serving.Advisories) bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if ix := e.Current(); ix != nil && ok(ix.Advisories()) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("engine never served %s", what)
			}
		}
	}
	wait("the empty advisories of yellow v0", func(x *serving.Advisories) bool { return x != nil && x.Version == releaselake.NoVersion })
	if _, err := store.CommitAdvisories(ctx, 0, []releaselake.Advisory{a}, 0, releaselake.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	wait("advisories v1, committed with yellow v0", func(x *serving.Advisories) bool { return x != nil && x.Version == 1 })
	if got := e.Current().Advisories().Affecting("flask", "2.3.1"); len(got) != 1 || got[0].VulnerableRange != a.VulnerableRange {
		t.Errorf("affecting 2.3.1: %+v", got)
	}
	if err := store.WriteState(ctx, releaselake.FactsState, []byte(`{"flask":{"description":"micro framework","homepage":"https://flask.palletsprojects.com"}}`)); err != nil {
		t.Fatal(err)
	}
	wait("the new facts", func(x *serving.Advisories) bool { d, _ := x.Facts("flask"); return d == "micro framework" })
}
