// Command gateway-bench measures the GraphQL gateway under load on loopback,
// beside a plain net/http handler that writes the same response bytes.
//
//	go run ./scripts/gateway-bench run [-o BENCHMARKS.md] [-d 8s] [-rounds 3]
//	go run ./scripts/gateway-bench scale -bin BIN -lake DIR -catalog FILE (see scale.go)
//
// run starts each server as a child process (this binary, "serve") pinned to
// CPU 0 with GOMAXPROCS=1, and drives it with Debian's wrk (-t2 -c32) pinned to
// CPU 1, alternating plain / GraphQL repeated / GraphQL distinct / plain with
// 8 and 16 µs of CPU work a request, rounds times. "repeated" sends the same
// query each time (the response cache answers); "distinct" varies `since` per
// request, so no cache can. The plain handler with work of its own shows what
// p50 and p99 any server writing these bytes gets at a lower throughput: at
// 32 connections on one CPU a request waits for the others, so latency
// follows throughput. It prints a markdown
// section (and, with -o, replaces the gateway section of that file) with
// throughput, the ratios to the plain handler, p50/p99 and allocations per
// request, read from the server's runtime counters.
//
// Both servers load the same synthetic index: the embedded catalog's 49
// products, 400 releases each. Only 127.0.0.1 is ever addressed.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/graph"
	"github.com/releaselake/releaselake/metrics"
	"github.com/releaselake/releaselake/serving"
)

// The query of the benchmark: 5 products, since, first 50.
const benchQuery = `query ($p: [String!], $s: DateTime) {
  releases(products: $p, since: $s, first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { product { key name } version tag name url publishedAt prerelease source dateSource }
  }
}`

var benchProducts = []string{"react", "vue", "spark", "kafka", "django"}

const benchSince = "2021-01-01T00:00:00Z"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gateway-bench run|serve|scale [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	case "scale":
		err = scale(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway-bench:", err)
		os.Exit(1)
	}
}

// resolver builds the synthetic index and the resolver both servers answer from.
func resolver() (*graph.Resolver, error) {
	cat, err := catalog.Default()
	if err != nil {
		return nil, err
	}
	var rows []releaselake.Release
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	for pi, p := range cat.Products() {
		for i := range 400 {
			v := fmt.Sprintf("%d.%d.%d", i/100, (i/10)%10, i%10)
			pre := i%10 == 9
			if pre {
				v += "-rc.1"
			}
			at := start.Add(time.Duration(i)*218*time.Hour + time.Duration(pi)*time.Hour)
			rows = append(rows, releaselake.Release{Product: p.Key, Tag: "v" + v, Version: v, Name: p.Name + " " + v,
				URL: "https://github.com/" + p.Repo() + "/releases/tag/v" + v, Source: releaselake.SourceGitHubRelease,
				Repo: p.Repo(), DateSource: releaselake.DateReleasePublished, PublishedAt: at, FirstSeenAt: at.Add(time.Hour),
				Prerelease: pre})
		}
	}
	ix := serving.NewIndex(releaselake.Snapshot{Version: 42, CommittedAt: start, Releases: rows})
	return &graph.Resolver{
		Catalog: cat,
		Index:   func() *serving.Index { return ix },
		Runs:    func(context.Context, int) ([]releaselake.Run, error) { return nil, nil },
		Notices: func() []string { return nil },
	}, nil
}

func requestBody(since string) []byte {
	b, _ := json.Marshal(map[string]any{"query": benchQuery, "variables": map[string]any{"p": benchProducts, "s": since}})
	return b
}

// serve runs one server: the gateway ("graphql") or a plain handler writing
// the gateway's answer to the benchmark query ("plain"). /_stats gives the
// runtime's allocation count and the requests served.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	mode := fs.String("mode", "graphql", "graphql or plain")
	work := fs.Duration("work", 0, "plain: CPU work to do for each request before answering")
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	fs.Parse(args)
	r, err := resolver()
	if err != nil {
		return err
	}
	gql := graph.NewHandler(r, graph.Options{
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		AdminToken:  "bench",
		CORSOrigins: []string{"https://app.example.com"},
		Observe:     metrics.New().GraphQL, // as releaselake serve counts requests
	})
	var h http.Handler = gql
	if *mode == "plain" {
		rec := &capture{header: http.Header{}}
		req, _ := http.NewRequest("POST", "/graphql", bytes.NewReader(requestBody(benchSince)))
		req.Header.Set("Content-Type", "application/json")
		gql.ServeHTTP(rec, req)
		answer := rec.body.Bytes()
		length := strconv.Itoa(len(answer))
		spin := newSpinner(*work)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			spin.spin()
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", length)
			w.Write(answer)
		})
	}
	// Both servers pace the collector as releaselake serve does once it has
	// loaded its index: a live heap of a few MiB would otherwise be collected
	// a dozen times a second under this load.
	serving.PaceGC()
	var served atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("/graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		h.ServeHTTP(w, r)
	}))
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile) // to look inside a run: go tool pprof ADDR/debug/pprof/profile
	mux.HandleFunc("/_stats", func(w http.ResponseWriter, _ *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		json.NewEncoder(w).Encode(stats{Mallocs: ms.Mallocs, Requests: served.Load(), CPU: cpu, At: time.Now()})
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String()) // the parent reads the address
	// Both servers time out as releaselake serve does (cmd/releaselake/app.go):
	// net/http then sets a read deadline per request and one while idle.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
	if *mode == "plain" {
		return srv.Serve(ln)
	}
	return graph.Serve(srv, ln) // the gateway's connections, as releaselake serve has them
}

type stats struct {
	Mallocs  uint64
	Requests int64
	CPU      time.Duration // the server process's user + system time
	At       time.Time
}

type capture struct {
	header http.Header
	body   bytes.Buffer
}

func (c *capture) Header() http.Header         { return c.header }
func (c *capture) WriteHeader(int)             {}
func (c *capture) Write(b []byte) (int, error) { return c.body.Write(b) }

// scenario is one measured configuration.
type scenario struct {
	name, mode, lua string
	work            time.Duration // plain: CPU work a request
}

// result is one wrk run.
type result struct {
	rps, p50, p99 float64 // requests/s; latencies in ms
	allocs        float64 // per request, from the server's runtime
	cpu           float64 // the server's CPU time over the run's wall time
	errors        string
}

// minCPU is the share of CPU 0 a server under load must get for its run to
// count: less means other work on the machine took CPU 0 from it, and the run
// is made again (up to maxTries times).
const (
	minCPU   = 0.9
	maxTries = 4
)

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	out := fs.String("o", "", "markdown file whose gateway section to replace (created if missing)")
	dur := fs.Duration("d", 8*time.Second, "duration of each wrk run")
	rounds := fs.Int("rounds", 3, "times to alternate the servers")
	fs.Parse(args)
	if err := needTools(); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "gateway-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	scenarios := []scenario{
		{"plain net/http, same bytes", "plain", writeLua(dir, "repeated", false), 0},
		{"GraphQL, repeated query", "graphql", writeLua(dir, "repeated", false), 0},
		{"GraphQL, distinct queries", "graphql", writeLua(dir, "distinct", true), 0},
		// What p99 the plain handler itself gets at lower throughputs: the
		// same bytes after some CPU work of its own (see spinner).
		{"plain + 8 µs of CPU a request", "plain", writeLua(dir, "repeated", false), 8 * time.Microsecond},
		{"plain + 16 µs of CPU a request", "plain", writeLua(dir, "repeated", false), 16 * time.Microsecond},
	}
	if err := check(self); err != nil {
		return err
	}
	load := loadAverage()
	retried := 0
	results := make([][]result, len(scenarios))
	for round := range *rounds {
		for i, sc := range scenarios {
			var res result
			for try := 1; ; try++ {
				res, err = measure(self, sc, *dur)
				if err != nil {
					return fmt.Errorf("%s: %w", sc.name, err)
				}
				fmt.Fprintf(os.Stderr, "round %d %-28s %8.0f req/s  p50 %.2f ms  p99 %.2f ms  %.0f allocs/req  server CPU %.2f\n",
					round+1, sc.name, res.rps, res.p50, res.p99, res.allocs, res.cpu)
				if res.cpu >= minCPU || try == maxTries {
					break
				}
				fmt.Fprintf(os.Stderr, "  the server got %.0f%% of CPU 0: other work on the machine; again\n", 100*res.cpu)
				retried++
			}
			results[i] = append(results[i], res)
		}
	}
	md := report(scenarios, results, *dur, *rounds, load, retried)
	fmt.Print(md)
	if *out != "" {
		return replaceSection(*out, md)
	}
	return nil
}

// needTools checks for wrk, taskset and the two CPUs they pin to.
func needTools() error {
	for _, tool := range []string{"wrk", "taskset"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is needed (Debian: apt-get install -y %s)", tool, map[string]string{"wrk": "wrk", "taskset": "util-linux"}[tool])
		}
	}
	if runtime.NumCPU() < 2 {
		return fmt.Errorf("needs 2 CPUs (server on CPU 0, wrk on CPU 1); this machine has %d", runtime.NumCPU())
	}
	return nil
}

// writeLua writes the wrk script of a scenario: POST the benchmark query, with
// since varying per request (distinct) or not.
func writeLua(dir, name string, distinct bool) string {
	path := filepath.Join(dir, name+".lua")
	body := strings.ReplaceAll(string(requestBody(benchSince)), benchSince, "%s")
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n")
	fmt.Fprintf(&b, "local template = %q\n", body)
	if !distinct {
		fmt.Fprintf(&b, "wrk.body = string.format(template, %q)\n", benchSince)
	} else {
		// Each thread walks its own seconds: every request's since is new, and
		// always before 2021-06, so the page stays 50 rows. Each wrk run starts
		// at its own 100,000 seconds (by the clock: runs start seconds apart),
		// so a measured run does not ask its warm-up's questions again, which
		// the response cache, having seen them once, would then keep.
		// counter and offset are globals: thread:set sets a thread's global,
		// which a local of the same name would hide (until 2026-11-26 one did,
		// so both threads asked the same sequence: each since twice).
		b.WriteString(`counter = 0
offset = 0
local threads = 0
local base = (os.time() % 100) * 100000
function setup(thread)
  thread:set("offset", base + threads * 10000000)
  threads = threads + 1
end
function request()
  counter = counter + 1
  local t = 1577836800 + offset + counter -- 2020-01-01 onwards
  local since = os.date("!%Y-%m-%dT%H:%M:%SZ", t)
  return wrk.format(nil, nil, nil, string.format(template, since))
end
`)
	}
	os.WriteFile(path, []byte(b.String()), 0o644)
	return path
}

// check makes sure the two servers answer the benchmark with the same 50 rows.
func check(self string) error {
	var answers [2][]byte
	for i, mode := range []string{"plain", "graphql"} {
		addr, stop, err := start(self, mode, 0)
		if err != nil {
			return err
		}
		resp, err := http.Post("http://"+addr+"/graphql", "application/json", bytes.NewReader(requestBody(benchSince)))
		if err == nil {
			answers[i], err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		stop()
		if err != nil {
			return err
		}
	}
	if !bytes.Equal(answers[0], answers[1]) {
		return fmt.Errorf("plain and GraphQL answers differ")
	}
	var r struct {
		Data struct {
			Releases struct{ Nodes []json.RawMessage }
		}
	}
	if err := json.Unmarshal(answers[1], &r); err != nil || len(r.Data.Releases.Nodes) != 50 {
		return fmt.Errorf("the benchmark query answers %d rows, want 50 (%v)", len(r.Data.Releases.Nodes), err)
	}
	fmt.Fprintf(os.Stderr, "checked: both servers answer the same %d bytes, 50 rows\n", len(answers[0]))
	return nil
}

// start runs a server pinned to CPU 0 with GOMAXPROCS=1 and returns its address.
func start(self, mode string, work time.Duration) (string, func(), error) {
	cmd := exec.Command("taskset", "-c", "0", self, "serve", "-mode", mode, "-work", work.String())
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	line := make([]byte, 64)
	n, err := stdout.Read(line)
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("server did not start: %w", err)
	}
	return strings.TrimSpace(string(line[:n])), stop, nil
}

func measure(self string, sc scenario, dur time.Duration) (result, error) {
	var res result
	addr, stop, err := start(self, sc.mode, sc.work)
	if err != nil {
		return res, err
	}
	defer stop()
	url := "http://" + addr + "/graphql"
	// Warm up: the query cache, the response cache (repeated), the heap.
	if err := wrk(sc.lua, url, time.Second, nil); err != nil {
		return res, err
	}
	before, err := readStats(addr)
	if err != nil {
		return res, err
	}
	if err := wrk(sc.lua, url, dur, &res); err != nil {
		return res, err
	}
	after, err := readStats(addr)
	if err != nil {
		return res, err
	}
	if n := after.Requests - before.Requests; n > 0 {
		res.allocs = float64(after.Mallocs-before.Mallocs) / float64(n)
	}
	res.cpu = float64(after.CPU-before.CPU) / float64(after.At.Sub(before.At))
	return res, nil
}

func readStats(addr string) (stats, error) {
	var s stats
	resp, err := http.Get("http://" + addr + "/_stats")
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

var (
	rpsRe     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	latencyRe = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	errorsRe  = regexp.MustCompile(`(Non-2xx or 3xx responses: \d+|Socket errors: .*)`)
)

// wrk runs wrk -t2 -c32 on CPU 1 and parses its report into res (when not nil).
func wrk(lua, url string, dur time.Duration, res *result) error {
	return wrkConns(lua, url, dur, res, 32)
}

// wrkConns is wrk with conns connections (one thread for one connection).
func wrkConns(lua, url string, dur time.Duration, res *result, conns int) error {
	secs := strconv.Itoa(max(1, int(dur.Seconds())))
	threads := min(2, conns)
	cmd := exec.Command("taskset", "-c", "1", "wrk", "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(conns), "-d"+secs+"s", "--latency", "-s", lua, url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("wrk: %v\n%s", err, out)
	}
	if res == nil {
		return nil
	}
	m := rpsRe.FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("wrk output has no Requests/sec:\n%s", out)
	}
	res.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	for _, l := range latencyRe.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(l[2]), 64)
		switch string(l[3]) {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		if string(l[1]) == "50" {
			res.p50 = v
		} else {
			res.p99 = v
		}
	}
	if e := errorsRe.FindAll(out, -1); len(e) > 0 {
		res.errors = string(bytes.Join(e, []byte("; ")))
		return fmt.Errorf("wrk saw errors: %s\n%s", res.errors, out)
	}
	return nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// loadAverage is the machine's 1-minute load average before the run: other
// work on the machine shows in the numbers.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}

func report(scenarios []scenario, results [][]result, dur time.Duration, rounds int, load string, retried int) string {
	var b strings.Builder
	b.WriteString(sectionStart + "\n## GraphQL gateway under load\n\n")
	fmt.Fprintf(&b, "`make bench-gateway` (`go run ./scripts/gateway-bench run -o BENCHMARKS.md`), %s. Machine: %s; load average %s when the run began.\n\n",
		time.Now().UTC().Format("2006-01-02"), machine(), load)
	fmt.Fprintf(&b, "Query: `releases(products: [%s], since: %q, first: 50)` with `totalCount`, `pageInfo` and 9 fields of each node "+
		"(50 rows, POST application/json). Each server alone on CPU 0 with `GOMAXPROCS=1`; `wrk -t2 -c32 -d%s --latency` on CPU 1; "+
		"the five servers alternated %d times, medians below (each run after a 1 s warm-up). "+
		"\"plain\" is a `net/http` handler writing the gateway's own answer bytes; \"distinct\" varies `since` per request so "+
		"neither the response cache nor any other can answer; \"plain + N µs\" is the plain handler doing N µs of CPU work "+
		"(a loop timed at start-up) before it answers, to show the latency any handler gets at that throughput. Allocations per request are the server's `runtime.MemStats.Mallocs` "+
		"over the run divided by the requests served. \"server CPU\" is the server's CPU time over the run's wall time: a run where "+
		"it fell under %.0f%% (other work on the machine took CPU 0) was made again, %d time(s) in this run. \"req per CPU-second\" "+
		"is throughput over that share: what the server does with the CPU it gets, which other work on the machine disturbs least.\n\n",
		strings.Join(benchProducts, ", "), benchSince, dur, rounds, 100*minCPU, retried)
	b.WriteString("| server | req/s (median) | each round | ratio to plain, each round | ratio (median) | p50 ms | p99 ms | allocs/req | server CPU | req per CPU-second (ratio) |\n")
	b.WriteString("|---|---:|---|---|---:|---:|---:|---:|---:|---:|\n")
	for i, sc := range scenarios {
		var rps, ratio, p50, p99, allocs, cpu, perCPU, perCPURatio []float64
		var each, eachRatio []string
		for k, r := range results[i] {
			rps, p50, p99, allocs = append(rps, r.rps), append(p50, r.p50), append(p99, r.p99), append(allocs, r.allocs)
			cpu = append(cpu, r.cpu)
			perCPU = append(perCPU, r.rps/r.cpu)
			perCPURatio = append(perCPURatio, (r.rps/r.cpu)/(results[0][k].rps/results[0][k].cpu))
			ratio = append(ratio, r.rps/results[0][k].rps) // against the plain run of the same round
			each = append(each, fmt.Sprintf("%.0f", r.rps))
			eachRatio = append(eachRatio, fmt.Sprintf("%.2f", ratio[k]))
		}
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %.2f | %.2f | %.2f | %.0f | %.2f | %.0f (%.2f) |\n", sc.name, median(rps), strings.Join(each, ", "),
			strings.Join(eachRatio, ", "), median(ratio), median(p50), median(p99), median(allocs), median(cpu), median(perCPU), median(perCPURatio))
	}
	b.WriteString("\nTargets (issue 6): repeated ≥ 0.8 of plain, distinct ≥ 0.25, p99 ≤ 5 ms at 32 connections.\n" + sectionEnd + "\n")
	return b.String()
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(b); m != nil {
			model = string(m[1])
		}
	}
	kernel := ""
	if b, err := exec.Command("uname", "-r").Output(); err == nil {
		kernel = ", Linux " + strings.TrimSpace(string(b))
	}
	wrkVersion := ""
	if b, _ := exec.Command("wrk", "-v").CombinedOutput(); len(b) > 0 {
		wrkVersion = ", " + strings.Fields(string(b))[0] + " " + strings.Fields(string(b))[1]
	}
	return fmt.Sprintf("%s, %d CPUs%s, %s%s", model, runtime.NumCPU(), kernel, runtime.Version(), wrkVersion)
}

const (
	sectionStart = "<!-- gateway-bench: generated by `make bench`; do not edit by hand -->"
	sectionEnd   = "<!-- /gateway-bench -->"
)

// replaceSection puts md in place of the gateway section of path, or appends it.
func replaceSection(path, md string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	if s == "" {
		s = "# Benchmarks\n\nEach section says how to reproduce it and on what machine it ran.\n"
	}
	i, j := strings.Index(s, sectionStart), strings.Index(s, sectionEnd)
	if i >= 0 && j > i {
		s = s[:i] + md + s[j+len(sectionEnd)+1:]
	} else {
		s = strings.TrimRight(s, "\n") + "\n\n" + md
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

// spinner does a fixed amount of CPU work: a loop of arithmetic measured once,
// at start-up, to take d. It is counted in loop turns, not read off a clock,
// so a request preempted by other work on the machine does no less work.
type spinner struct{ turns int }

var spinSink uint64

func newSpinner(d time.Duration) spinner {
	if d <= 0 {
		return spinner{}
	}
	const probe = 1 << 22
	best := time.Duration(1 << 62)
	for range 5 { // the fastest of five: the others were interrupted
		t := time.Now()
		spinLoop(probe)
		best = min(best, time.Since(t))
	}
	return spinner{turns: int(float64(probe) * float64(d) / float64(best))}
}

func (s spinner) spin() {
	if s.turns > 0 {
		spinLoop(s.turns)
	}
}

func spinLoop(n int) {
	x := spinSink | 1
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	spinSink = x
}
