package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// healthRunner runs products a, b (github) and c (pypi) with the given fetches.
func healthRunner(t *testing.T, gh, pypi func(releaselake.Product) ([][]byte, error)) (*Runner, *lake.Store) {
	t.Helper()
	cat, err := releaselake.NewCatalog([]releaselake.Product{
		{Key: "a", Kind: "github", Ref: "o/a"}, {Key: "b", Kind: "github", Ref: "o/b"}, {Key: "c", Kind: "pypi", Ref: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	store := lake.Open(localfs.New(t.TempDir()))
	return &Runner{Lake: store, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sources: map[string]releaselake.Source{
			releaselake.KindGitHub: &fakeSource{kind: releaselake.KindGitHub, fetch: gh},
			"pypi":                 &fakeSource{kind: "pypi", fetch: pypi},
		}}, store
}

func tags(ts ...string) func(releaselake.Product) ([][]byte, error) {
	return func(releaselake.Product) ([][]byte, error) {
		return [][]byte{fmt.Appendf(nil, `{"tags":["%s"]}`, strings.Join(ts, `","`))}, nil
	}
}

// A refused token fails every product of the source alike: the run says so
// once (its error, by source), each product refers to it, the others commit,
// and the health state and the notices say it.
func TestRunner_Run_sourceFailedAsAWholeIsOneError(t *testing.T) {
	refused := releaselake.Errorf(releaselake.Unauthorized, "GitHub refused the token (HTTP 401): check GITHUB_TOKEN")
	r, store := healthRunner(t, func(releaselake.Product) ([][]byte, error) { return nil, refused }, tags("1.0"))
	ctx := context.Background()
	run, err := r.Run(ctx, "cli", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "github: every product failed (2): GitHub refused the token (HTTP 401): check GITHUB_TOKEN"
	if run.Status != releaselake.RunPartial || run.Error != want || run.SourceErrors["github"] != want || run.Version != 0 {
		t.Fatalf("run %s v%d error %q sources %v", run.Status, run.Version, run.Error, run.SourceErrors)
	}
	for _, p := range run.Products[:2] {
		if p.Error != "GitHub refused the token (HTTP 401) (see the run's error)" {
			t.Errorf("%s: %q", p.Product, p.Error)
		}
	}
	h, _ := r.readHealth(ctx)
	if a := h.Product("a"); !a.Failing() || a.LastError != want || !a.LastSuccessAt.IsZero() {
		t.Errorf("health of a: %+v", a)
	}
	if c := h.Product("c"); c.Failing() || c.LastSuccessAt.IsZero() {
		t.Errorf("health of c: %+v", c)
	}
	if n := h.Notices(); len(n) != 1 || !strings.Contains(n[0], want) {
		t.Errorf("notices %q", n)
	}
	if runs, _ := store.Runs(ctx, 1); runs[0].Error != want {
		t.Errorf("record's error %q", runs[0].Error)
	}
	// Another process (`releaselake push`, a replica) reads what the run recorded.
	other := &Runner{Lake: store, Catalog: r.Catalog}
	if a := other.Health().Product("a"); a.LastError != want {
		t.Errorf("another runner reads a's health as %+v", a)
	}

	// The token fixed: the products succeed, the notice goes, the failures are history.
	first := h.Product("a").FailingSince
	r.Sources[releaselake.KindGitHub] = &fakeSource{kind: releaselake.KindGitHub, fetch: tags("2.0")}
	if run, err = r.Run(ctx, "cli", nil); err != nil || run.Error != "" || run.Status != releaselake.RunSucceeded {
		t.Fatalf("second run %s %q %v", run.Status, run.Error, err)
	}
	h = r.Health()
	if a := h.Product("a"); a.Failing() || a.LastSuccessAt.IsZero() || !a.LastErrorAt.Equal(first) || len(h.Notices()) != 0 {
		t.Errorf("after a success: %+v, notices %q", a, h.Notices())
	}
}

// A few products failing is no source failure: the run has no error and each
// failure keeps its own message; a failure streak keeps its first time.
func TestRunner_Run_someProductsFailingIsNoRunError(t *testing.T) {
	gh := func(p releaselake.Product) ([][]byte, error) {
		if p.Key == "b" {
			return nil, fmt.Errorf("GET https://x/b: %w", &httpfetch.StatusError{Status: 500, Attempts: 4})
		}
		return tags("1.0")(p)
	}
	r, _ := healthRunner(t, gh, tags("1.0"))
	ctx := context.Background()
	for i := range 2 {
		run, err := r.Run(ctx, "cli", nil)
		if err != nil || run.Error != "" || run.Status != releaselake.RunPartial {
			t.Fatalf("run %d: %s %q %v", i, run.Status, run.Error, err)
		}
		if p := run.Products[1]; p.Error != "GET https://x/b: HTTP 500 Internal Server Error (after 4 attempts)" || p.Reason != "HTTP 500 Internal Server Error (after 4 attempts)" {
			t.Errorf("b: %+v", p)
		}
	}
	h := r.Health()
	runs, _ := r.Lake.Runs(ctx, 0)
	// runs are newest first: b has failed since the first run, last in the second.
	if b := h.Product("b"); b.FailingSince.Before(runs[1].StartedAt) || b.FailingSince.After(runs[1].EndedAt) || b.LastErrorAt.Before(runs[0].StartedAt) {
		t.Errorf("b failing since %v, last %v; want within the first run %v-%v, last in the second", b.FailingSince, b.LastErrorAt, runs[1].StartedAt, runs[1].EndedAt)
	}
}

func TestStale_twoPeriodsAndAnHour(t *testing.T) {
	now := time.Date(2026, 4, 3, 12, 0, 0, 0, time.UTC)
	period, err := SchedulePeriod("0 0 * * *", time.UTC, now)
	if err != nil || period != 24*time.Hour {
		t.Fatalf("period %v %v", period, err)
	}
	if p, _ := SchedulePeriod("0 0 * * 1-5", time.UTC, now); p != 72*time.Hour {
		t.Errorf("weekdays: period %v, want the weekend's 72h", p)
	}
	if p, _ := SchedulePeriod("*/10 * * * * *", time.UTC, now); p != 10*time.Second {
		t.Errorf("seconds: period %v", p)
	}
	w := releaselake.StaleWindow(period)
	for _, tc := range []struct {
		p     releaselake.ProductHealth
		stale bool
	}{
		{releaselake.ProductHealth{}, false}, // never tried
		{releaselake.ProductHealth{LastSuccessAt: now.Add(-48 * time.Hour)}, false},
		{releaselake.ProductHealth{LastSuccessAt: now.Add(-50 * time.Hour)}, true},
		{releaselake.ProductHealth{FailingSince: now.Add(-50 * time.Hour)}, true}, // never succeeded, failing for long
		{releaselake.ProductHealth{FailingSince: now.Add(-time.Hour)}, false},
	} {
		if got := tc.p.Stale(now, w); got != tc.stale {
			t.Errorf("%+v: stale %v", tc.p, got)
		}
	}
	if (releaselake.ProductHealth{LastSuccessAt: now.AddDate(-1, 0, 0)}).Stale(now, 0) {
		t.Error("stale without a schedule")
	}
}

func TestReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("page https://x: GET https://x: %w", &net.OpError{Op: "dial", Err: &net.DNSError{Name: "www.tableau.com", Err: "no such host"}}), "host not found: www.tableau.com"},
		{fmt.Errorf("GET https://x: %w", &httpfetch.StatusError{Status: 503}), "HTTP 503 Service Unavailable"},
		{releaselake.Errorf(releaselake.Unauthorized, "GitHub refused the token (HTTP 401): check GITHUB_TOKEN"), "GitHub refused the token (HTTP 401)"},
		{fmt.Errorf("x: %w", context.Canceled), "cancelled"},
		{errors.New("page https://x: finds no version: has its layout changed?"), "finds no version: has its layout changed?"},
	} {
		if got := Reason(tc.err); got != tc.want {
			t.Errorf("Reason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
