// Command gateway-bench measures the GraphQL gateway under load on loopback,
// beside a plain net/http handler that writes the same response bytes.
//
//	go run ./scripts/gateway-bench run [-o BENCHMARKS.md] [-d 8s] [-rounds 3]
//	go run ./scripts/gateway-bench scale -bin BIN -lake DIR -catalog FILE (see scale.go)
//	go run ./scripts/gateway-bench latency -vegeta BIN (open loop; see latency.go)
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
	"runtime"
	rtmetrics "runtime/metrics"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/graph"
	"github.com/releaselake/releaselake/ingest/sources"
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
		fmt.Fprintln(os.Stderr, "usage: gateway-bench run|serve|scale|latency [flags]")
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
	case "latency":
		err = latency(os.Args[2:])
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
	cat, err := catalog.Default(sources.Kinds)
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
	mx := metrics.New()
	gql := graph.NewHandler(r, graph.Options{
		Log:              slog.New(slog.NewTextHandler(io.Discard, nil)),
		AdminToken:       "bench",
		CORSOrigins:      []string{"https://app.example.com"},
		Observe:          mx.GraphQL, // as releaselake serve counts requests
		FastPathFallback: mx.FastPathFallback,
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
	// To look inside a run: go tool pprof ADDR/debug/pprof/profile (or heap,
	// allocs), curl ADDR/debug/pprof/trace?seconds=5 for go tool trace.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/_stats", func(w http.ResponseWriter, _ *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		json.NewEncoder(w).Encode(stats{Mallocs: ms.Mallocs, Requests: served.Load(), CPU: cpu, At: time.Now(),
			NumGC: ms.NumGC, PauseNs: ms.PauseNs, HeapGoal: gcMetric("/gc/heap/goal:bytes"),
			GCCPU: gcMetric("/cpu/classes/gc/total:cpu-seconds"), AssistCPU: gcMetric("/cpu/classes/gc/mark/assist:cpu-seconds")})
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
	NumGC    uint32      // collections so far
	PauseNs  [256]uint64 // the last 256 collections' stop-the-world pauses, as MemStats has them
	HeapGoal float64     // the collector's heap goal now, bytes
	GCCPU    float64     // CPU seconds the collector took so far (the runtime's estimate)
	// of which requests' goroutines spent assisting the collector's marking
	AssistCPU float64
}

// gcMetric reads a runtime metric that is a count of bytes or seconds.
func gcMetric(name string) float64 {
	s := []rtmetrics.Sample{{Name: name}}
	rtmetrics.Read(s)
	switch s[0].Value.Kind() {
	case rtmetrics.KindUint64:
		return float64(s[0].Value.Uint64())
	case rtmetrics.KindFloat64:
		return s[0].Value.Float64()
	}
	return 0
}

type capture struct {
	header http.Header
	body   bytes.Buffer
}

func (c *capture) Header() http.Header         { return c.header }
func (c *capture) WriteHeader(int)             {}
func (c *capture) Write(b []byte) (int, error) { return c.body.Write(b) }

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
