package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
