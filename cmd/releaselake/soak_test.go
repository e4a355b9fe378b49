//go:build soak

package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// TestSoak runs serve as its own process for SOAK_DURATION (default 10 min) at a
// fixed query rate while an ingest commits a new version every 30 s, and
// appends errors, p50/p99 and the server's RSS at start and end to
// BENCHMARKS.md. make soak runs it; it is not part of make test.
func TestSoak(t *testing.T) {
	duration := 10 * time.Minute
	if d, err := time.ParseDuration(os.Getenv("SOAK_DURATION")); err == nil {
		duration = d
	}
	const rate = 200 // queries per second
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	gh := githubtest.NewServer(t)
	dir := t.TempDir()
	p := exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-schedule", "*/30 * * * * *", "-poll", "1s")
	p.Dir = dir
	p.Env = append(os.Environ(), "GITHUB_TOKEN="+gh.Token, "GITHUB_GRAPHQL_URL="+gh.URL, "RELEASELAKE_LOG=text")
	stderr, _ := p.StderrPipe()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Process.Kill()
	addr := make(chan string, 1)
	var commits atomic.Int64
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`addr=(http://127\.0\.0\.1:\d+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
			if strings.Contains(sc.Text(), "msg=committed") {
				commits.Add(1)
			}
		}
	}()
	base := <-addr
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 && commits.Load() > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no first ingest within 2 minutes")
		}
	}
	rss := func() int {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Process.Pid))
		m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(b)
		if m == nil {
			return 0
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	rssStart := rss()

	// New upstream releases every 30 s, so each tick commits a new version.
	stop := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(30 * time.Second):
				at := time.Now().Add(-time.Minute)
				gh.AddRelease("pallets/flask", githubtest.Release{TagName: fmt.Sprintf("9.%d.0", i), PublishedAt: at, CreatedAt: at})
			}
		}
	}()
	queries := []string{
		`{"query":"query($p:[String!],$s:DateTime){ releases(products:$p, since:$s, first:50){ totalCount nodes { product { key } version tag publishedAt prerelease url } } }","variables":{"p":["flask","kafka","prometheus","rails","mybatis"],"s":"2020-01-01T00:00:00Z"}}`,
		`{"query":"{ latest { product { key } version publishedAt } }"}`,
		`{"query":"{ lake { version rows } }"}`,
	}
	client := &http.Client{Timeout: 10 * time.Second}
	var mu sync.Mutex
	var lat []time.Duration
	var errs, sent atomic.Int64
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / rate)
	end := time.Now().Add(duration)
	for i := 0; time.Now().Before(end); i++ {
		<-tick.C
		wg.Add(1)
		sent.Add(1)
		go func(q string) {
			defer wg.Done()
			start := time.Now()
			resp, err := client.Post(base+"/graphql", "application/json", strings.NewReader(q))
			if err != nil {
				errs.Add(1)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			d := time.Since(start)
			if resp.StatusCode != 200 || strings.HasPrefix(string(b), `{"errors"`) {
				errs.Add(1)
			}
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}(queries[i%len(queries)])
	}
	tick.Stop()
	wg.Wait()
	close(stop)
	rssEnd := rss()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(f float64) time.Duration { return lat[int(f*float64(len(lat)-1))] }
	t.Logf("%d queries, %d errors, p50 %v p99 %v, %d commits, RSS %d -> %d kB", sent.Load(), errs.Load(), q(.5), q(.99), commits.Load(), rssStart, rssEnd)
	cpu, _ := os.ReadFile("/proc/cpuinfo")
	model := regexp.MustCompile(`model name\s*:\s*(.*)`).FindSubmatch(cpu)
	f, err := os.OpenFile(filepath.Join("..", "..", "BENCHMARKS.md"), os.O_APPEND|os.O_WRONLY, 0o644)
	if err == nil {
		fmt.Fprintf(f, "\n## Soak (%s, %s, 2 CPUs, %s)\n\nCommand: `make soak` (SOAK_DURATION=%v). serve as its own process, "+
			"%d queries/s (releases of 5 products since a date, first 50; latest; lake) while an ingest commits a new version every 30 s.\n\n"+
			"| queries | errors | p50 | p99 | versions committed | RSS at start | RSS at end |\n|---|---|---|---|---|---|---|\n"+
			"| %d | %d | %v | %v | %d | %d MiB | %d MiB |\n",
			time.Now().UTC().Format("2006-01-02"), duration, model[1], duration, rate, sent.Load(), errs.Load(),
			q(.5).Round(10*time.Microsecond), q(.99).Round(10*time.Microsecond), commits.Load(), rssStart/1024, rssEnd/1024)
		f.Close()
	}
	if errs.Load() > 0 {
		t.Errorf("%d errors", errs.Load())
	}
}
