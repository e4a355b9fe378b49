package main

// latency measures latency the way users feel it (issue 21): open loop, at a
// fixed arrival rate, so that a slow answer does not hold back the next
// request. make bench-latency runs it.
//
//	gateway-bench latency -vegeta BIN [-o BENCHMARKS.md] [-warmup 60s] [-d 60s]
//	    [-rates 2000,5000,10000] [-servers plain,distinct] [-rounds 1] [-profile DIR]
//
// For each rate, the servers (this binary's serve, as gateway-bench run has
// them: CPU 0, GOMAXPROCS=1) are alternated, each a fresh process: a warm-up
// of distinct queries at the rate, then the measured attack. vegeta (CPU 1)
// sends the requests; this process, on CPU 1 too (taskset by the Makefile),
// writes it one target per request, every one a new query text's variables
// (since moves a second each time over the whole run), so that no cache
// answers twice. Latencies are vegeta's own, read back with vegeta encode;
// the percentiles are exact over every request of the measured attack.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// latencyServer is one server of the comparison and what it is asked.
type latencyServer struct {
	key, name, mode string
	distinct        bool // measured with distinct queries (the warm-up always is)
}

var latencyServers = []latencyServer{
	{"plain", "plain net/http, same bytes", "plain", true},
	{"distinct", "gateway, distinct queries", "graphql", true},
	{"repeated", "gateway, the same query repeated", "graphql", false},
}

// latencyRun is one measured attack.
type latencyRun struct {
	rate      int
	server    latencyServer
	requests  int
	achieved  float64 // requests a second vegeta sent, first to last
	p50, p99  float64 // ms
	p999, max float64
	rss, hwm  int     // server's VmRSS and VmHWM after the run, MiB
	gcs       uint32  // collections during the measured attack
	maxPause  float64 // longest stop-the-world pause among them, ms
	heapGoal  float64 // the collector's heap goal after the run, bytes
	gcCPU     float64 // the collector's CPU time during the attack, ms
	assistCPU float64 // of which requests spent assisting it
	vegetaCPU float64 // vegeta's CPU time over the attack's wall time
	serverCPU float64
	others    float64 // CPU 0's busy time not the server's (other work on the machine), over the attack's wall time
	skipped   string  // why the rate was not measured, when it was not
}

// sustained is the share of the rate vegeta must send for a run to count: if
// it sends less, its core is the bottleneck, not the server.
const sustained = 0.97

func latency(args []string) error {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	vegeta := fs.String("vegeta", "", "the vegeta binary (make bench-latency builds v12.13.0)")
	out := fs.String("o", "", "markdown file whose latency section to replace (created if missing)")
	warmup := fs.Duration("warmup", 60*time.Second, "distinct queries at the rate before each measured attack")
	dur := fs.Duration("d", 60*time.Second, "each measured attack")
	ratesFlag := fs.String("rates", "2000,5000,10000", "arrival rates, requests a second")
	serversFlag := fs.String("servers", "plain,distinct", "servers alternated at each rate: plain, distinct, repeated")
	rounds := fs.Int("rounds", 1, "times to alternate the servers at each rate")
	prio := fs.String("priority", "", "the server's and vegeta's priority on a shared machine: \"\" (as any process) or nice (nice -n -20)")
	server := fs.String("server", "", "a gateway-bench binary whose serve to measure (another build's); this one by default")
	profile := fs.String("profile", "", "directory for each run's gctrace, a 5 s trace mid-attack, heap and allocs profiles after it, and vegeta's results")
	fs.Parse(args)
	if *vegeta == "" {
		return errors.New("-vegeta is needed")
	}
	var ok bool
	if priority, ok = priorities[*prio]; !ok {
		return fmt.Errorf("-priority %q: \"\" or nice", *prio)
	}
	var rates []int
	for f := range strings.SplitSeq(*ratesFlag, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || r <= 0 {
			return fmt.Errorf("bad rate %q", f)
		}
		rates = append(rates, r)
	}
	var servers []latencyServer
	for f := range strings.SplitSeq(*serversFlag, ",") {
		i := slices.IndexFunc(latencyServers, func(s latencyServer) bool { return s.key == strings.TrimSpace(f) })
		if i < 0 {
			return fmt.Errorf("unknown server %q (plain, distinct, repeated)", f)
		}
		servers = append(servers, latencyServers[i])
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return errors.New("taskset is needed (Debian: apt-get install -y util-linux)")
	}
	if runtime.NumCPU() < 2 && os.Getenv("GATEWAY_BENCH_RAISED") == "" { // the raised child sees only CPU 1
		return fmt.Errorf("needs 2 CPUs (server on CPU 0, vegeta on CPU 1); this machine has %d", runtime.NumCPU())
	}
	if priority != nil && os.Getenv("GATEWAY_BENCH_RAISED") == "" {
		// This process writes vegeta's targets, so it runs raised too: again,
		// as a session of its own.
		self, err := os.Executable()
		if err != nil {
			return err
		}
		cmd := pinned("1", append([]string{self}, os.Args[1:]...)...)
		cmd.Env = append(os.Environ(), "GATEWAY_BENCH_RAISED=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := startPinned(cmd); err != nil {
			return err
		}
		// In a session of its own, it no longer hears the terminal: pass it on.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() { cmd.Process.Signal(<-sig) }()
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("latency run: %w", err)
		}
		return nil
	}
	// This process writes vegeta's targets: it shares vegeta's core, not the server's.
	if out, err := exec.Command("taskset", "-a", "-cp", "1", strconv.Itoa(os.Getpid())).CombinedOutput(); err != nil {
		return fmt.Errorf("taskset: %v %s", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o755); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "latency-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// Interrupted, it leaves nothing behind: the servers and vegeta die with
	// this process (Pdeathsig), the results with the temporary directory.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		os.RemoveAll(tmp)
		fmt.Fprintln(os.Stderr, "gateway-bench: latency:", s)
		os.Exit(1)
	}()
	if *server != "" {
		self = *server
	}
	if err := check(self); err != nil {
		return err
	}
	load := loadAverage()
	began := time.Now()
	var since int64 // seconds after 2020-01-01 of the next distinct query, over the whole run
	var runs []latencyRun
	failed := 0
	for _, rate := range rates {
		skip := ""
		for round := range *rounds {
			for _, sv := range servers {
				if skip != "" {
					break
				}
				r, err := latencyOnce(self, *vegeta, tmp, *profile, rate, sv, round, *warmup, *dur, &since)
				if err != nil {
					// The other rates are still measured and reported; the
					// run as a whole fails at the end.
					fmt.Fprintf(os.Stderr, "gateway-bench: %d req/s, %s: %v\n", rate, sv.name, err)
					skip, _, _ = strings.Cut(err.Error(), "\n")
					skip = "failed: " + skip[:min(len(skip), 200)]
					runs = append(runs, latencyRun{rate: rate, server: sv, skipped: skip})
					failed++
					break
				}
				fmt.Fprintf(os.Stderr, "%5d req/s %-34s sent %7.0f/s  p50 %6.2f  p99 %6.2f  p99.9 %6.2f  max %7.2f ms  RSS %d MiB (peak %d)  %d GCs, max pause %.2f ms, GC CPU %.0f ms (assists %.0f)  vegeta CPU %.2f  server CPU %.2f, others on CPU 0 %.2f\n",
					rate, sv.name, r.achieved, r.p50, r.p99, r.p999, r.max, r.rss, r.hwm, r.gcs, r.maxPause, r.gcCPU, r.assistCPU, r.vegetaCPU, r.serverCPU, r.others)
				if r.achieved < sustained*float64(rate) {
					skip = fmt.Sprintf("vegeta sent %.0f req/s of %d (%.0f%% of its core) to the %s server", r.achieved, rate, 100*r.vegetaCPU, sv.key)
					fmt.Fprintf(os.Stderr, "  %d req/s not sustained by the load generator: %s; rate skipped\n", rate, skip)
					runs = append(runs, latencyRun{rate: rate, server: sv, skipped: skip})
					break
				}
				runs = append(runs, r)
			}
		}
	}
	md := latencyReport(runs, latencyConfig{warmup: *warmup, dur: *dur, rates: *ratesFlag, servers: *serversFlag, prio: *prio,
		rounds: *rounds, loadBefore: load, loadAfter: loadAverage(), began: began})
	fmt.Print(md)
	if *out != "" {
		if err := replaceMarked(*out, md, latencyStart, latencyEnd); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d run(s) failed (see above and the report)", failed)
	}
	return nil
}

// latencyOnce starts a fresh server, warms it up and measures one attack.
func latencyOnce(self, vegeta, tmp, profile string, rate int, sv latencyServer, round int, warmup, dur time.Duration, since *int64) (latencyRun, error) {
	r := latencyRun{rate: rate, server: sv}
	tag := fmt.Sprintf("%d-%s-%d", rate, sv.key, round+1)
	logPath := filepath.Join(tmp, "server.log")
	var env []string
	if profile != "" {
		logPath = filepath.Join(profile, tag+".gctrace")
		env = append(env, "GODEBUG=gctrace=1")
	}
	started := time.Now()
	srv, err := startLatencyServer(self, sv.mode, logPath, env)
	if err != nil {
		return r, err
	}
	defer srv.stop()
	if profile != "" { // to lay gctrace's times (since the start) beside vegeta's
		os.WriteFile(filepath.Join(profile, tag+".started"), []byte(strconv.FormatInt(started.UnixNano(), 10)+"\n"), 0o644)
	}
	url := "http://" + srv.addr + "/graphql"
	if warmup > 0 {
		if _, err := attack(vegeta, url, rate, warmup, "/dev/null", distinctTargets(since)); err != nil {
			return r, fmt.Errorf("warm-up: %w%s", err, srv.died())
		}
	}
	targets := repeatedTargets
	if sv.distinct {
		targets = distinctTargets(since)
	}
	before, err := readStats(srv.addr)
	if err != nil {
		return r, err
	}
	busyBefore := cpu0Busy()
	results := filepath.Join(tmp, "results.bin")
	var traced chan error
	if profile != "" {
		traced = make(chan error, 1)
		go func() { // 5 s from the middle of the attack
			time.Sleep(dur/2 - 2500*time.Millisecond)
			traced <- fetchTo(filepath.Join(profile, tag+".trace"), "http://"+srv.addr+"/debug/pprof/trace?seconds=5")
		}()
	}
	vcpu, err := attack(vegeta, url, rate, dur, results, targets)
	if err != nil {
		return r, fmt.Errorf("%w%s", err, srv.died())
	}
	after, err := readStats(srv.addr)
	if err != nil {
		return r, fmt.Errorf("%w%s", err, srv.died())
	}
	r.others = float64(cpu0Busy()-busyBefore-(after.CPU-before.CPU)) / float64(after.At.Sub(before.At))
	r.rss, r.hwm = srv.memMiB()
	r.gcs = after.NumGC - before.NumGC
	for n := before.NumGC + 1; n <= after.NumGC && after.NumGC-n < 256; n++ {
		r.maxPause = max(r.maxPause, float64(after.PauseNs[(n+255)%256])/1e6)
	}
	r.heapGoal = after.HeapGoal
	r.gcCPU, r.assistCPU = 1000*(after.GCCPU-before.GCCPU), 1000*(after.AssistCPU-before.AssistCPU)
	r.serverCPU = float64(after.CPU-before.CPU) / float64(after.At.Sub(before.At))
	if traced != nil { // an older build may not serve them: a profile missing is said, not fatal
		if err := <-traced; err != nil {
			fmt.Fprintf(os.Stderr, "  no trace: %v\n", err)
		}
		for _, p := range []string{"heap", "allocs"} {
			if err := fetchTo(filepath.Join(profile, tag+"."+p), "http://"+srv.addr+"/debug/pprof/"+p); err != nil {
				fmt.Fprintf(os.Stderr, "  no %s profile: %v\n", p, err)
			}
		}
	}
	lat, sent, first, last, err := readResults(vegeta, results)
	if err != nil {
		return r, err
	}
	if profile != "" {
		if err := os.Rename(results, filepath.Join(profile, tag+".results.bin")); err != nil {
			return r, err
		}
	}
	r.requests = len(lat)
	if last.After(first) {
		r.achieved = float64(sent-1) / last.Sub(first).Seconds()
	}
	r.vegetaCPU = float64(vcpu) / float64(dur)
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1e6 }
	r.p50, r.p99, r.p999, r.max = q(0.5), q(0.99), q(0.999), float64(lat[len(lat)-1])/1e6
	return r, nil
}

// attack runs vegeta attack on CPU 1 at rate for dur, its targets written by
// targets (one JSON line each, read lazily), its results to out. It returns
// vegeta's CPU time.
func attack(vegeta, url string, rate int, dur time.Duration, out string, targets func(w io.Writer, url string) error) (time.Duration, error) {
	cmd := pinned("1", vegeta, "attack", "-lazy", "-format=json", "-rate="+strconv.Itoa(rate)+"/s",
		"-duration="+dur.String(), "-timeout=30s", "-max-body=0", "-output="+out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	if err := startPinned(cmd); err != nil {
		return 0, err
	}
	fed := make(chan error, 1)
	go func() {
		err := targets(in, url)
		in.Close()
		fed <- err
	}()
	err = cmd.Wait()
	in.Close() // stops the feeder once vegeta is done with its targets
	if ferr := <-fed; err == nil && ferr != nil && !errors.Is(ferr, os.ErrClosed) && !errors.Is(ferr, syscall.EPIPE) {
		err = ferr
	}
	if err != nil {
		return 0, fmt.Errorf("vegeta attack: %v\n%s", err, stderr.Bytes())
	}
	ps := cmd.ProcessState
	return ps.UserTime() + ps.SystemTime(), nil
}

// target writes one vegeta JSON target: POST body to url.
func target(w *bufio.Writer, url string, body []byte) error {
	w.WriteString(`{"method":"POST","url":"`)
	w.WriteString(url)
	w.WriteString(`","header":{"Content-Type":["application/json"]},"body":"`)
	enc := base64.NewEncoder(base64.StdEncoding, w)
	enc.Write(body)
	enc.Close()
	_, err := w.WriteString("\"}\n")
	return err
}

// distinctTargets writes the benchmark query with a new since each time,
// until the writer is closed: the seconds after 2020-01-01, counted over the
// whole run, so no process is asked a query twice (the page stays 50 rows).
func distinctTargets(since *int64) func(io.Writer, string) error {
	return func(out io.Writer, url string) error {
		w := bufio.NewWriterSize(out, 64<<10)
		base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		for {
			*since++
			if err := target(w, url, requestBody(base.Add(time.Duration(*since)*time.Second).Format(time.RFC3339))); err != nil {
				return err
			}
		}
	}
}

// repeatedTargets writes the benchmark query as it is, over and over.
func repeatedTargets(out io.Writer, url string) error {
	w := bufio.NewWriterSize(out, 64<<10)
	body := requestBody(benchSince)
	for {
		if err := target(w, url, body); err != nil {
			return err
		}
	}
}

// readResults decodes vegeta's results: each request's latency (ns), how
// many were sent, the first and last send time. Any request that failed
// (an error or a status other than 200) fails the run.
func readResults(vegeta, path string) (lat []int64, sent int, first, last time.Time, err error) {
	cmd := exec.Command(vegeta, "encode", "-to=csv", path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, first, last, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, 0, first, last, err
	}
	cr := csv.NewReader(bufio.NewReaderSize(stdout, 1<<20))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	failed, example := 0, ""
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, 0, first, last, fmt.Errorf("vegeta encode: %v %s", err, stderr.Bytes())
		}
		// timestamp (unix ns), code, latency (ns), bytes out, bytes in, error, ...
		ts, _ := strconv.ParseInt(rec[0], 10, 64)
		at := time.Unix(0, ts)
		if sent == 0 || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
		sent++
		if rec[1] != "200" || rec[5] != "" {
			failed++
			example = rec[1] + " " + rec[5]
			continue
		}
		ns, _ := strconv.ParseInt(rec[2], 10, 64)
		lat = append(lat, ns)
	}
	if err := cmd.Wait(); err != nil {
		return nil, 0, first, last, fmt.Errorf("vegeta encode: %v %s", err, stderr.Bytes())
	}
	if failed > 0 || len(lat) == 0 {
		return nil, 0, first, last, fmt.Errorf("%d of %d requests failed (e.g. %s)", failed, sent, example)
	}
	return lat, sent, first, last, nil
}
