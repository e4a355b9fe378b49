package github_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest"
	"github.com/releaselake/releaselake/ingest/github"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// advisoryRig is an ingest of flask (package PIP flask) and, for py's
// withdrawn advisory, a product whose catalog package is PIP py, against the
// fake GitHub.
func advisoryRig(t *testing.T) (*githubtest.Server, *lake.Store, *ingest.Runner) {
	t.Helper()
	flask := releaselake.Product{Key: "flask", Kind: "github", Ref: "pallets/flask", Package: releaselake.Package{Ecosystem: "PIP", Name: "flask"}}
	py := releaselake.Product{Key: "py", Kind: "github", Ref: "mwaskom/seaborn", Package: releaselake.Package{Ecosystem: "PIP", Name: "py"}}
	cat, err := releaselake.NewCatalog([]releaselake.Product{flask, py})
	if err != nil {
		t.Fatal(err)
	}
	srv := githubtest.NewServer(t)
	src := github.New(github.Config{URL: srv.URL, Token: srv.Token, Sleep: func(context.Context, time.Duration) error { return nil }})
	store := lake.Open(localfs.New(t.TempDir()))
	r := &ingest.Runner{Lake: store, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sources: map[string]releaselake.Source{releaselake.KindGitHub: src}}
	return srv, store, r
}

func advisoryRows(t *testing.T, store *lake.Store) releaselake.AdvisorySnapshot {
	t.Helper()
	snap, err := store.AdvisoriesFor(context.Background(), math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// fake GitHub -> red -> yellow_advisories: the first run lists both packages
// in full in one request, keeps the answers in red and commits every range;
// a run with nothing new asks one cheap page per package and commits
// nothing; a changed advisory is read from the first page and replaces its
// row; the repository's description lands in the facts state.
func TestIngest_advisories(t *testing.T) {
	srv, store, r := advisoryRig(t)
	ctx := context.Background()
	run, err := r.Run(ctx, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	snap := advisoryRows(t, store)
	if snap.Version != 0 || snap.YellowVersion != run.Version || len(snap.Advisories) != 3 {
		t.Fatalf("after run 1: advisories v%d for yellow v%d, %d rows; want v0 for v%d, 3 rows", snap.Version, snap.YellowVersion, len(snap.Advisories), run.Version)
	}
	byRange := map[string]releaselake.Advisory{}
	for _, a := range snap.Advisories {
		byRange[a.Product+" "+a.VulnerableRange] = a
	}
	if a := byRange["flask >= 2.3.0, < 2.3.2"]; a.GHSAID != "GHSA-m2qf-hxjv-5gpq" || a.FirstPatched != "2.3.2" || a.Severity != "HIGH" || a.Withdrawn() || a.URL != "https://github.com/advisories/GHSA-m2qf-hxjv-5gpq" {
		t.Errorf("flask 2.3 range = %+v", a)
	}
	if a := byRange["py <= 1.11.0"]; !a.Withdrawn() || a.FirstPatched != "" || a.Package != "py" || a.Ecosystem != "PIP" {
		t.Errorf("py range = %+v", a)
	}
	var advStats *releaselake.SourceStats
	for i, s := range run.Sources {
		if s.Kind == releaselake.AdvisoryRed {
			advStats = &run.Sources[i]
		}
	}
	// The advisories rode along the release crawl's first request: no
	// request of their own.
	if advStats == nil || advStats.Requests != 0 {
		t.Errorf("run 1 advisory stats %+v: want no request of their own", advStats)
	}
	for _, q := range srv.Requests() {
		if strings.Contains(q.Query, "securityVulnerabilities") && !strings.Contains(q.Query, "repository(") {
			t.Errorf("advisories asked apart from the repositories: %s", q.Query)
		}
	}
	runs, err := store.RedRuns(ctx)
	if err != nil || len(runs) != 1 {
		t.Fatalf("red runs %v, %v", runs, err)
	}
	lines, err := store.ReadRed(ctx, runs[0], releaselake.AdvisoryRed)
	if err != nil || len(lines) != 2 {
		t.Fatalf("red %s: %d lines, %v; want one per package", releaselake.AdvisoryRed, len(lines), err)
	}
	var rl ingest.RedLine
	if err := json.Unmarshal(lines[0], &rl); err != nil || !strings.Contains(string(rl.Answer), `"full":true`) || !strings.Contains(string(rl.Answer), "GHSA-") {
		t.Errorf("red line %s", lines[0])
	}
	facts, err := store.ReadState(ctx, releaselake.FactsState)
	if err != nil || !strings.Contains(string(facts), `"flask":{"description":"The Python micro framework for building web applications.","homepage":"https://flask.palletsprojects.com"}`) {
		t.Errorf("facts state %s, %v", facts, err)
	}

	// Nothing new upstream: one request, first pages of 10, no commit.
	before := len(srv.Requests())
	run2, err := r.Run(ctx, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if snap := advisoryRows(t, store); snap.Version != 0 {
		t.Errorf("after a run with nothing new: advisories v%d, want v0", snap.Version)
	}
	var advQueries []githubtest.Request
	for _, q := range srv.Requests()[before:] {
		if strings.Contains(q.Query, "securityVulnerabilities") {
			advQueries = append(advQueries, q)
		}
	}
	if len(advQueries) != 1 || advQueries[0].Variables["f0"] != 10.0 || len(srv.Requests())-before != 1 {
		t.Errorf("run 2 asked %d requests, %d with advisories (first %v); want 1, with releases and the incremental advisory pages of 10",
			len(srv.Requests())-before, len(advQueries), advQueries)
	}
	if run2.Version != releaselake.NoVersion {
		t.Errorf("run 2 committed yellow v%d with nothing new", run2.Version)
	}

	// GitHub changes the 2.3 range's advisory: the next run reads it and
	// commits it, for the yellow version it runs with.
	var v githubtest.Vulnerability
	pkgs, _ := githubtest.Advisories()
	v = pkgs[0].Vulnerabilities[0]
	v.Advisory.Severity = "CRITICAL"
	v.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	srv.AddVulnerability("PIP", "flask", v)
	if _, err := r.Run(ctx, "test", nil); err != nil {
		t.Fatal(err)
	}
	snap = advisoryRows(t, store)
	if snap.Version != 1 || len(snap.Advisories) != 3 {
		t.Fatalf("after the change: advisories v%d, %d rows; want v1, 3", snap.Version, len(snap.Advisories))
	}
	for _, a := range snap.Advisories {
		if a.VulnerableRange == v.VulnerableVersionRange && (a.Severity != "CRITICAL" || !a.UpdatedAt.Equal(v.UpdatedAt)) {
			t.Errorf("changed range = %+v", a)
		}
	}
	if rej := srv.Rejected(); len(rej) != 0 {
		t.Errorf("GitHub would refuse: %s %v", rej[0].Query, rej[0].Errors)
	}
}

// A package GitHub fails on keeps its rows and state; the step's error is in
// the run record, and the run itself succeeds.
func TestIngest_advisoriesFailureKeepsRows(t *testing.T) {
	srv, store, r := advisoryRig(t)
	ctx := context.Background()
	if _, err := r.Run(ctx, "test", nil); err != nil {
		t.Fatal(err)
	}
	srv.SetFault(func(q *githubtest.Request) *githubtest.Fault {
		if strings.Contains(q.Query, "securityVulnerabilities") {
			return githubtest.BadGateway()
		}
		return nil
	})
	run, err := r.Run(ctx, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	var step releaselake.RunStep
	for _, s := range run.Steps {
		if s.Name == "advisories" {
			step = s
		}
	}
	if !strings.Contains(step.Error, "advisories of 2 products not fetched") || run.Status != releaselake.RunSucceeded {
		t.Errorf("run %s, advisories step %+v", run.Status, step)
	}
	if snap := advisoryRows(t, store); snap.Version != 0 || len(snap.Advisories) != 3 {
		t.Errorf("advisories v%d, %d rows; want v0's 3 kept", snap.Version, len(snap.Advisories))
	}
}

// What GitHub says is bounded on the way in: a huge summary is cut to 1 KiB,
// control characters go, a javascript: URL is dropped, and a range too long
// to evaluate is kept but never guessed.
func TestIngest_advisoriesHostileAnswer(t *testing.T) {
	srv, store, r := advisoryRig(t)
	var v githubtest.Vulnerability
	v.Advisory.GHSAID = "GHSA-aaaa-bbbb-cccc"
	v.Advisory.Summary = "evil\x1b[31m" + strings.Repeat("é", 1<<20)
	v.Advisory.Severity = "HIGH"
	v.Advisory.Permalink = "javascript:alert(1)"
	v.VulnerableVersionRange = "< 1.0" + strings.Repeat(", < 1.0", 200)
	v.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	srv.AddVulnerability("PIP", "flask", v)
	if _, err := r.Run(context.Background(), "test", nil); err != nil {
		t.Fatal(err)
	}
	var got *releaselake.Advisory
	snap := advisoryRows(t, store)
	for i := range snap.Advisories {
		if snap.Advisories[i].GHSAID == v.Advisory.GHSAID {
			got = &snap.Advisories[i]
		}
	}
	if got == nil {
		t.Fatalf("hostile advisory not kept: %+v", snap.Advisories)
	}
	if len(got.Summary) > 1024 || strings.ContainsRune(got.Summary, 0x1b) || got.URL != "" {
		t.Errorf("summary %d bytes (escape kept: %v), url %q", len(got.Summary), strings.ContainsRune(got.Summary, 0x1b), got.URL)
	}
	if _, ok := got.Affects("0.5"); ok {
		t.Errorf("a %d-byte range was evaluated", len(got.VulnerableRange))
	}
}

// failingAdvisories is the lake, whose next advisories commit fails as a
// process killed between yellow's commit and it would leave the lake.
type failingAdvisories struct {
	*lake.Store
	fail bool
}

func (f *failingAdvisories) CommitAdvisories(ctx context.Context, base int64, rows []releaselake.Advisory, yellow int64, info releaselake.CommitInfo) (int64, error) {
	if f.fail {
		f.fail = false
		return base, releaselake.Errorf(releaselake.Unavailable, "killed before the advisories commit")
	}
	return f.Store.CommitAdvisories(ctx, base, rows, yellow, info)
}

// Between the two commits: yellow at its new version, yellow_advisories at
// its previous one, which readers of the new yellow version get; the
// advisory state is not written, so the next run fetches the change again.
func TestIngest_advisoriesCrashBetweenCommits(t *testing.T) {
	srv, store, r := advisoryRig(t)
	ctx := context.Background()
	if _, err := r.Run(ctx, "test", nil); err != nil {
		t.Fatal(err)
	}
	f := &failingAdvisories{Store: store, fail: true}
	r.Lake = f
	pkgs, _ := githubtest.Advisories()
	v := pkgs[0].Vulnerabilities[0]
	v.Advisory.Severity = "CRITICAL"
	v.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	srv.AddVulnerability("PIP", "flask", v)
	at := time.Now().Add(-time.Hour)
	srv.AddRelease("pallets/flask", githubtest.Release{TagName: "9.9.9", PublishedAt: at, CreatedAt: at})
	run, err := r.Run(ctx, "test", nil)
	if err != nil || run.Version != 1 {
		t.Fatalf("run 2: yellow v%d, %v; want v1 committed", run.Version, err)
	}
	snap, err := store.AdvisoriesFor(ctx, run.Version)
	if err != nil || snap.Version != 0 || snap.YellowVersion != 0 {
		t.Fatalf("readers of yellow v1 get advisories v%d (of yellow v%d), %v; want v0's", snap.Version, snap.YellowVersion, err)
	}
	severity := func() string {
		for _, a := range advisoryRows(t, store).Advisories {
			if a.VulnerableRange == v.VulnerableVersionRange {
				return a.Severity
			}
		}
		return ""
	}
	if s := severity(); s != "HIGH" {
		t.Errorf("severity %q after the failed commit, want the old HIGH", s)
	}
	if _, err := r.Run(ctx, "test", nil); err != nil {
		t.Fatal(err)
	}
	if s := severity(); s != "CRITICAL" {
		t.Errorf("severity %q after the next run, want CRITICAL fetched again", s)
	}
}

// yellow_advisories can be rebuilt from red: replaying the runs' advisory
// answers gives the rows the runs committed.
func TestRebuildAdvisories_fromRedEqualsCommitted(t *testing.T) {
	srv, store, r := advisoryRig(t)
	ctx := context.Background()
	pkgs, _ := githubtest.Advisories()
	for i := range 3 {
		if i > 0 { // a changed range, read incrementally
			v := pkgs[0].Vulnerabilities[i%2]
			v.Advisory.Summary = fmt.Sprintf("edited %d", i)
			v.UpdatedAt = time.Now().UTC().Add(time.Duration(i) * time.Second).Truncate(time.Second)
			srv.AddVulnerability("PIP", "flask", v)
		}
		if _, err := r.Run(ctx, "test", nil); err != nil {
			t.Fatal(err)
		}
	}
	src := r.Sources[releaselake.KindGitHub].(releaselake.AdvisorySource)
	got, err := ingest.RebuildAdvisories(ctx, store, r.Catalog, src)
	if err != nil {
		t.Fatal(err)
	}
	want := advisoryRows(t, store).Advisories
	key := func(a releaselake.Advisory) string { return a.Product + " " + a.Key() + " " + a.Summary }
	g, w := map[string]bool{}, map[string]bool{}
	for _, a := range got {
		g[key(a)] = true
	}
	for _, a := range want {
		w[key(a)] = true
	}
	if len(got) != len(want) || !maps.Equal(g, w) || !w["flask GHSA-m2qf-hxjv-5gpq >= 2.3.0, < 2.3.2 edited 2"] || !w["flask GHSA-m2qf-hxjv-5gpq < 2.2.5 edited 1"] {
		t.Errorf("rebuilt %v\nwant     %v", g, w)
	}
}
