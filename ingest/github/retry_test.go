package github

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// history is a repository of 1,300 tags, read from tags: 13 pages in a row.
var history = releaselake.Product{Key: "history", Kind: "github", Ref: "big/history", Options: releaselake.Options{OptionTags: true}}

// flakyFake is the fake GitHub with the fixtures and history.
func flakyFake(t *testing.T) *githubtest.Server {
	srv := githubtest.NewServer(t)
	start := time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)
	tags := make([]githubtest.Tag, 1300)
	for i := range tags {
		tags[i] = githubtest.Tag{Name: fmt.Sprintf("v%d.%d.%d", 1+i/100, (i/10)%10, i%10), Date: start.Add(time.Duration(i) * 60 * time.Hour), Annotated: i%3 == 0}
	}
	srv.AddHistory(history.Ref, false, tags)
	return srv
}

// steadyFaults is GitHub on a bad afternoon: a 502 on every 4th request, a
// secondary rate limit on every 7th, an answer cut off halfway on every 9th.
func steadyFaults() func(*githubtest.Request) *githubtest.Fault {
	var n atomic.Int64
	return func(*githubtest.Request) *githubtest.Fault {
		switch k := n.Add(1); {
		case k%4 == 0:
			return githubtest.BadGateway()
		case k%7 == 0:
			return githubtest.SecondaryRateLimit(time.Second)
		case k%9 == 0:
			return githubtest.CutOff()
		}
		return nil
	}
}

// maxFaultFactor bounds the requests of a crawl under steadyFaults against a
// clean one's: about half the requests fail, so twice as many is the least.
const maxFaultFactor = 2.5

func TestSource_Fetch_steadyFaultsLoseNothing(t *testing.T) {
	ps := append([]releaselake.Product{history}, fixtures...)
	var std bytes.Buffer
	log.SetOutput(&std)
	defer log.SetOutput(log.Writer())
	var logged bytes.Buffer
	var mu sync.Mutex
	var slept time.Duration
	clean, flaky := flakyFake(t), flakyFake(t)
	flaky.SetFault(steadyFaults())
	cs := newSource(clean, Config{})
	fs := newSource(flaky, Config{Log: slog.New(slog.NewTextHandler(&logged, nil)),
		Sleep: func(_ context.Context, d time.Duration) error { mu.Lock(); slept += d; mu.Unlock(); return nil }})
	cl, fl := &lake{}, &lake{}
	yesterday := now.Add(-24 * time.Hour)
	for run := range 3 {
		if run > 0 {
			for _, srv := range []*githubtest.Server{clean, flaky} {
				srv.AddRelease("pallets/flask", githubtest.Release{TagName: fmt.Sprintf("4.%d.0", run), PublishedAt: yesterday, CreatedAt: yesterday})
				srv.AddTag(history.Ref, githubtest.Tag{Name: fmt.Sprintf("v99.0.%d", run), Date: yesterday})
			}
		}
		c0, f0 := len(clean.Requests()), len(flaky.Requests())
		cl.crawl(t, cs, ps)
		for _, f := range fl.crawl(t, fs, ps) {
			if f.Err != nil {
				t.Fatalf("run %d: %s: %v", run, f.Product, f.Err)
			}
		}
		sameRows(t, fl, cl, ps)
		c, f := len(clean.Requests())-c0, len(flaky.Requests())-f0
		t.Logf("run %d: %d requests clean, %d with faults (%.2f×)", run, c, f, float64(f)/float64(c))
		if float64(f) > maxFaultFactor*float64(c) {
			t.Errorf("run %d: %d requests with faults, more than %.1f× the %d of a clean crawl", run, f, maxFaultFactor, c)
		}
	}
	if n := len(cl.rows[history.Key]); n != 1302 {
		t.Errorf("history: %d rows, want 1,302", n)
	}
	if st := readState(fl.state[history.Key]); st == nil || st.PageSize != 0 {
		t.Errorf("history's pages shrank for good: %+v", st)
	}
	out := logged.String()
	for _, want := range []string{
		`msg="github request failed: trying again" source=github why="HTTP 502"`,
		`msg="github asks to slow down" source=github why="HTTP 403" wait=1s`,
		`msg="github request failed: trying again" source=github why="Post \"` + flaky.URL,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if std.Len() > 0 {
		t.Errorf("written through the standard logger, not slog:\n%s", std.String())
	}
	t.Logf("virtual waits: %v", slept)
}

func TestSource_Fetch_alwaysFailingProductIsDroppedAfterItsBudget(t *testing.T) {
	srv := githubtest.NewServer(t)
	var failed atomic.Int64
	srv.SetFault(func(r *githubtest.Request) *githubtest.Fault {
		for k, v := range r.Variables {
			if strings.HasPrefix(k, "n") && v == "seaborn" {
				failed.Add(1)
				return githubtest.BadGateway()
			}
		}
		return nil
	})
	var logged bytes.Buffer
	s := newSource(srv, Config{Log: slog.New(slog.NewTextHandler(&logged, nil))})
	l := &lake{}
	for i, f := range l.crawl(t, s, fixtures) {
		if fixtures[i].Key == seaborn.Key {
			if releaselake.ClassOf(f.Err) != releaselake.Unavailable || !strings.Contains(f.Err.Error(), "mwaskom/seaborn: given up after 10 failed requests") {
				t.Errorf("seaborn: %v, want given up after its budget", f.Err)
			}
			continue
		}
		if f.Err != nil {
			t.Errorf("%s: %v", f.Product, f.Err)
		}
	}
	// The budget, plus what the shared requests charged the others with.
	if n := failed.Load(); n > productBudget+triesPerSize*2 {
		t.Errorf("%d requests for seaborn, want at most %d", n, productBudget+triesPerSize*2)
	}
	t.Logf("seaborn dropped after %d requests", failed.Load())
	if !strings.Contains(logged.String(), "giving up on a repository for this run") {
		t.Errorf("no log line for the product given up:\n%s", logged.String())
	}
	srv.SetFault(nil)
	want := fresh(t, srv, fixtures)
	delete(want.rows, seaborn.Key)
	sameRows(t, l, want, fixtures)
}

// A page that grew back after a timeout and times out again goes back to the
// last size that worked for the rest of the run, at the cost of one request;
// the crawl does not keep paying for sizes that fail.
func TestSource_Fetch_pagesGrowBackUpToWhatWorks(t *testing.T) {
	srv := flakyFake(t)
	var heavy atomic.Int64
	srv.SetFault(func(r *githubtest.Request) *githubtest.Fault {
		if first, _ := r.Variables["tf0"].(float64); first > 30 {
			heavy.Add(1)
			return githubtest.BadGateway()
		}
		return nil
	})
	l := &lake{}
	got := l.crawl(t, newSource(srv, Config{}), []releaselake.Product{history})
	if got[0].Err != nil {
		t.Fatal(got[0].Err)
	}
	// 3 tries at 100, 3 at 50, 25 works; 35 fails once: 7 failed requests.
	if n := heavy.Load(); n != 7 {
		t.Errorf("%d requests GitHub timed out on, want 7", n)
	}
	if st := readState(got[0].State); st == nil || st.PageSize != 25 {
		t.Errorf("state remembers page size %+v, want 25", st)
	}
	srv.SetFault(nil)
	sameRows(t, l, fresh(t, srv, []releaselake.Product{history}), []releaselake.Product{history})
}

// One repository GitHub always fails on, among 100 that share requests, is
// split out and dropped wherever it sits in the batch; the crawl goes on.
func TestSource_Fetch_alwaysFailingRepositoryAmongManyIsSplitOut(t *testing.T) {
	for _, bad := range []int{0, 37, 99} {
		t.Run(fmt.Sprint(bad), func(t *testing.T) {
			srv := githubtest.NewServer(t)
			var ps []releaselake.Product
			for i := range 100 {
				ref := fmt.Sprintf("many/r%02d", i)
				srv.AddHistory(ref, false, []githubtest.Tag{{Name: "v1.0.0", Date: now.Add(-time.Duration(i+40) * 24 * time.Hour)}})
				ps = append(ps, releaselake.Product{Key: fmt.Sprintf("r%02d", i), Kind: "github", Ref: ref, Options: releaselake.Options{OptionTags: true}})
			}
			name := fmt.Sprintf("r%02d", bad)
			srv.SetFault(func(r *githubtest.Request) *githubtest.Fault {
				for k, v := range r.Variables {
					if strings.HasPrefix(k, "n") && v == name {
						return githubtest.BadGateway()
					}
				}
				return nil
			})
			got := newSource(srv, Config{}).Fetch(context.Background(), crawls(ps...))
			for i, f := range got {
				if (f.Err != nil) != (i == bad) {
					t.Errorf("%s: %v", f.Product, f.Err)
				}
			}
			t.Logf("%d requests", len(srv.Requests()))
		})
	}
}
