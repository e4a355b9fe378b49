package github

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

func TestSource_Fetch_faultsGiveTheSameRows(t *testing.T) {
	srv := githubtest.NewServer(t)
	var mu sync.Mutex
	n := 0
	srv.SetFault(func(*githubtest.Request) *githubtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		n++
		switch {
		case n%4 == 0:
			return githubtest.BadGateway()
		case n%7 == 0:
			return githubtest.SecondaryRateLimit(time.Second)
		}
		return nil
	})
	var waits []time.Duration
	s := newSource(srv, Config{Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }})
	l := &lake{}
	yesterday := now.Add(-24 * time.Hour)
	for run := 0; run < 3; run++ {
		if run > 0 {
			srv.AddRelease("pallets/flask", githubtest.Release{TagName: fmt.Sprintf("4.%d.0", run), PublishedAt: yesterday, CreatedAt: yesterday})
		}
		for _, f := range l.crawl(t, s, fixtures) {
			if f.Err != nil {
				t.Fatalf("run %d: %s: %v", run, f.Product, f.Err)
			}
		}
	}
	srv.SetFault(nil)
	sameRows(t, l, fresh(t, srv, fixtures), fixtures)
	if !slices.Contains(waits, time.Second) {
		t.Errorf("Retry-After not honoured: waits %v", waits)
	}
}

func TestSource_Fetch_timeoutsSplitBatchesAndShrinkPages(t *testing.T) {
	srv := githubtest.NewServer(t)
	// GitHub gives up on more than two repositories at once, and on prometheus's
	// releases at more than 25 a page.
	srv.SetFault(func(r *githubtest.Request) *githubtest.Fault {
		repos := 0
		for k := range r.Variables {
			if strings.HasPrefix(k, "o") {
				repos++
			}
		}
		if repos > 2 {
			return githubtest.BadGateway()
		}
		for k, v := range r.Variables {
			if strings.HasPrefix(k, "n") && v == "prometheus" {
				if first, _ := r.Variables["rf"+k[1:]].(float64); first > 25 {
					return githubtest.BadGateway()
				}
			}
		}
		return nil
	})
	l := &lake{}
	got := l.crawl(t, newSource(srv, Config{}), fixtures)
	for _, f := range got {
		if f.Err != nil {
			t.Fatalf("%s: %v", f.Product, f.Err)
		}
	}
	if st := readState(got[4].State); st == nil || st.PageSize == 0 || st.PageSize > 25 {
		t.Errorf("prometheus not remembered as heavy: %+v", st)
	}
	srv.SetFault(nil)
	sameRows(t, l, fresh(t, srv, fixtures), fixtures)
}

func TestSource_Fetch_errorsStayWithTheirRepository(t *testing.T) {
	srv := githubtest.NewServer(t)
	srv.RenameRepo("pallets/flask", "pallets/flask2")
	ps := []releaselake.Product{flask, {Key: "nope", Kind: "github", Ref: "pallets/nope"}, {Key: "bad", Kind: "github", Ref: "no-slash"}, seaborn}
	got := (&lake{}).crawl(t, newSource(srv, Config{}), ps)
	if releaselake.ClassOf(got[1].Err) != releaselake.NotFound || !strings.Contains(got[1].Err.Error(), "pallets/nope not found") {
		t.Errorf("unknown repository: %v", got[1].Err)
	}
	if releaselake.ClassOf(got[2].Err) != releaselake.Invalid {
		t.Errorf("bad name: %v", got[2].Err)
	}
	if got[0].Err != nil || got[3].Err != nil {
		t.Fatalf("others failed: %v, %v", got[0].Err, got[3].Err)
	}
	parsed, _ := New(Config{}).Parse(flask, got[0].Raw, nil)
	if len(parsed.Releases) == 0 || parsed.Releases[0].Repo != "pallets/flask2" {
		t.Errorf("renamed repository's rows carry %q", parsed.Releases[0].Repo)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestSource_Fetch_refusedTokenStopsAtOnce(t *testing.T) {
	srv := githubtest.NewServer(t)
	s := New(Config{URL: srv.URL, Token: "wrong"})
	for _, f := range s.Fetch(context.Background(), crawls(fixtures...)) {
		if releaselake.ClassOf(f.Err) != releaselake.Unauthorized || !strings.Contains(f.Err.Error(), "GITHUB_TOKEN") {
			t.Errorf("%s: %v", f.Product, f.Err)
		}
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests after a 401, want 1", n)
	}
}

func TestSource_Fetch_primaryRateLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reset time.Duration
		wait  bool
	}{{"reset soon: wait", 30 * time.Second, true}, {"reset late: keep what was fetched", time.Hour, false}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := githubtest.NewServer(t)
			n := 0
			srv.SetFault(func(*githubtest.Request) *githubtest.Fault {
				n++
				if n == 2 {
					return githubtest.RateLimited(now.Add(tc.reset))
				}
				return nil
			})
			var slept time.Duration
			s := newSource(srv, Config{Sleep: func(_ context.Context, d time.Duration) error { slept += d; return nil }})
			got := s.Fetch(context.Background(), crawls(flask, kafka)) // flask: 1 page; kafka: 3
			if got[0].Err != nil {
				t.Fatalf("flask, done before the limit: %v", got[0].Err)
			}
			if tc.wait {
				if got[1].Err != nil || slept < tc.reset {
					t.Errorf("kafka %v after sleeping %v", got[1].Err, slept)
				}
			} else if got[1].Err == nil || !strings.Contains(got[1].Err.Error(), "rate limit exhausted") || slept != 0 {
				t.Errorf("kafka %v after sleeping %v", got[1].Err, slept)
			}
		})
	}
}

// roundTrips counts the requests a client sends through base
// [http.DefaultTransport].
type roundTrips struct {
	base http.RoundTripper
	mu   sync.Mutex
	n    int
}

func (c *roundTrips) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	if c.base != nil {
		return c.base.RoundTrip(r)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// An answer that never comes must not hold the run (and its ingest lease) for
// ever: each request gives up after Timeout, as a lost connection does, and
// the crawl ends once the retries are spent. The client given has no timeout
// of its own, as http.DefaultClient has none.
func TestSource_Fetch_stalledAnswerTimesOut(t *testing.T) {
	srv := githubtest.NewServer(t)
	srv.SetFault(func(*githubtest.Request) *githubtest.Fault { return &githubtest.Fault{Delay: 10 * time.Second} })
	sent := &roundTrips{}
	s := newSource(srv, Config{Timeout: 50 * time.Millisecond, HTTPClient: &http.Client{Transport: sent}})
	got := s.Fetch(context.Background(), crawls(flask))
	if releaselake.ClassOf(got[0].Err) != releaselake.Unavailable {
		t.Errorf("flask: %v, want Unavailable", got[0].Err)
	}
	if sent.n != maxBatchRetries {
		t.Errorf("%d requests sent, want %d: a stalled answer is retried like a lost connection", sent.n, maxBatchRetries)
	}
}

// MaxWait bounds the whole wait for the primary rate limit, not each wait: a
// limit that holds past its announced reset (GitHub's clock behind ours), or
// one announced without a reset time, ends the crawl with what it has instead
// of asking again and again.
func TestSource_Fetch_primaryRateLimitWaitsAtMostMaxWait(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func() *githubtest.Fault
	}{
		{"limited again after each reset", func() *githubtest.Fault { return githubtest.RateLimited(now.Add(30 * time.Second)) }},
		{"no reset time", func() *githubtest.Fault {
			f := githubtest.RateLimited(now)
			f.Header.Del("X-Ratelimit-Reset")
			return f
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := githubtest.NewServer(t)
			var limited atomic.Int32
			srv.SetFault(func(*githubtest.Request) *githubtest.Fault {
				if limited.Add(1) > 20 { // GitHub gives in at last
					return nil
				}
				return tc.fault()
			})
			var slept time.Duration
			s := newSource(srv, Config{Sleep: func(_ context.Context, d time.Duration) error { slept += d; return nil }})
			got := s.Fetch(context.Background(), crawls(flask))
			if got[0].Err == nil || !strings.Contains(got[0].Err.Error(), "rate limit exhausted") {
				t.Errorf("flask: %v, want the rate limit's error", got[0].Err)
			}
			if slept > 2*time.Minute {
				t.Errorf("waited %v for the rate limit, more than MaxWait", slept)
			}
		})
	}
}
