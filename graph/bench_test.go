package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// benchResolver: 49 products of 400 releases, like scripts/gateway-bench.
func benchResolver(b testing.TB) *Resolver {
	var ps []releaselake.Product
	var rows []releaselake.Release
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	for pi := range 49 {
		p := releaselake.Product{Key: fmt.Sprintf("p%02d", pi), Name: fmt.Sprintf("Product %d", pi), Kind: "github", Ref: fmt.Sprintf("owner/p%02d", pi)}
		ps = append(ps, p)
		for i := range 400 {
			v := fmt.Sprintf("%d.%d.%d", i/100, (i/10)%10, i%10)
			at := start.Add(time.Duration(i)*218*time.Hour + time.Duration(pi)*time.Hour)
			rows = append(rows, releaselake.Release{Product: p.Key, Tag: "v" + v, Version: v, Name: p.Name + " " + v,
				URL: "https://github.com/" + p.Ref + "/releases/tag/v" + v, Source: releaselake.SourceGitHubRelease,
				Repo: p.Ref, DateSource: releaselake.DateReleasePublished, PublishedAt: at, FirstSeenAt: at, Prerelease: i%10 == 9})
		}
	}
	return benchResolverOf(b, ps, rows)
}

// benchResolverOf serves rows of the catalog ps from an index, with no runs or notices.
func benchResolverOf(b testing.TB, ps []releaselake.Product, rows []releaselake.Release) *Resolver {
	cat, err := releaselake.NewCatalog(ps)
	if err != nil {
		b.Fatal(err)
	}
	ix := serving.NewIndex(releaselake.Snapshot{Version: 1, Releases: rows})
	return &Resolver{Catalog: cat, Index: func() *serving.Index { return ix },
		Runs:    func(context.Context, int) ([]releaselake.Run, error) { return nil, nil },
		Notices: func() []string { return nil }}
}

const benchQuery = `query ($p: [String!], $s: DateTime) { releases(products: $p, since: $s, first: 50) {
	totalCount pageInfo { hasNextPage endCursor }
	nodes { product { key name } version tag name url publishedAt prerelease source dateSource } } }`

// benchSemverQuery is benchQuery selecting Release.semver too.
const benchSemverQuery = `query ($p: [String!], $s: DateTime) { releases(products: $p, since: $s, first: 50) {
	totalCount pageInfo { hasNextPage endCursor }
	nodes { product { key name } version tag semver { major minor patch pre } } } }`

func benchBody(query string, since time.Time) []byte {
	b, _ := json.Marshal(map[string]any{"query": query,
		"variables": map[string]any{"p": []string{"p01", "p07", "p13", "p21", "p42"}, "s": since.Format(time.RFC3339)}})
	return b
}

// benchEpoch is the since of the benchmarks' query.
var benchEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func runBench(b *testing.B, h http.Handler, distinct bool) { runBenchOf(b, h, distinct, benchQuery) }

func runBenchOf(b *testing.B, h http.Handler, distinct bool, query string) {
	base := benchEpoch
	body := benchBody(query, base)
	// Distinct bodies differ in since alone: written over the template's
	// since in place, so the loop measures the handler, not json.Marshal.
	stamp := []byte(base.Format(time.RFC3339))
	at := bytes.Index(body, stamp)
	rec := httptest.NewRecorder()
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; b.Loop(); i++ {
		if distinct {
			base.Add(time.Duration(i)*time.Second).AppendFormat(body[at:at], time.RFC3339)
		}
		// http.NewRequest, not httptest.NewRequest: that one parses a request
		// line through a new 4 KiB bufio.Reader, a third of the cost measured.
		req, _ := http.NewRequest("POST", "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec.Body.Reset()
		h.ServeHTTP(rec, req)
	}
	if !bytes.Contains(rec.Body.Bytes(), []byte(`"hasNextPage":true`)) {
		b.Fatalf("unexpected answer: %s", rec.Body.Bytes())
	}
}

// reportCPU adds the process's CPU time per iteration (user and system, the
// collector's included) to a benchmark's results: on a machine shared with
// other work, wall time per iteration says more about the neighbours.
// Usage: defer reportCPU(b)().
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// go test -bench Gateway -run '^$' ./graph
func BenchmarkGateway_repeated(b *testing.B) {
	runBench(b, NewHandler(benchResolver(b), Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}), false)
}

func BenchmarkGateway_distinct(b *testing.B) {
	runBench(b, NewHandler(benchResolver(b), Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}), true)
}

func BenchmarkGateway_distinctNoFastPath(b *testing.B) {
	runBench(b, newHandler(benchResolver(b), Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, shortcuts{off: true}), true)
}

// go test -bench Gateway_semver -run '^$' ./graph: a page selecting
// Release.semver, through the fast path and through gqlgen's executor alone.
func BenchmarkGateway_semver(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b.Run("fast", func(b *testing.B) {
		runBenchOf(b, NewHandler(benchResolver(b), Options{Log: log}), true, benchSemverQuery)
	})
	b.Run("gqlgen", func(b *testing.B) {
		runBenchOf(b, newHandler(benchResolver(b), Options{Log: log}, shortcuts{off: true}), true, benchSemverQuery)
	})
}

// scaleResolver: 10,000 products of 100 releases, like issue 9's lake (and
// scripts/bench-scale's 30-query step).
func scaleResolver(b *testing.B) (*Resolver, []string) {
	const products, per = 10000, 100
	var ps []releaselake.Product
	rows := make([]releaselake.Release, 0, products*per)
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	keys := make([]string, products)
	for p := range products {
		key := fmt.Sprintf("p%d", p)
		keys[p] = key
		ps = append(ps, releaselake.Product{Key: key, Kind: "github", Ref: "o/" + key})
		for i := range per {
			v := fmt.Sprintf("%d.%d.%d", i/25, (i/5)%5, i%5)
			at := start.Add(time.Duration(i)*876*time.Hour + time.Duration(p)*time.Minute)
			rows = append(rows, releaselake.Release{Product: key, Tag: "v" + v, Version: v, Name: key + " " + v,
				URL: "https://github.com/o/" + key + "/releases/tag/v" + v, Source: releaselake.SourceGitHubRelease,
				Repo: "o/" + key, DateSource: releaselake.DateReleasePublished, PublishedAt: at, FirstSeenAt: at, Prerelease: i%10 == 9})
		}
	}
	return benchResolverOf(b, ps, rows), keys
}

// go test -bench Scale -run '^$' ./graph: issue 9's two queries over 1M rows,
// products (and since) drawn per request.
func BenchmarkGateway_scale(b *testing.B) {
	r, keys := scaleResolver(b)
	// No response cache: bodies repeat here, never in the 30-query step.
	h := NewHandler(r, Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), CacheBytes: -1})
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, q := range []struct {
		name, query string
		n           int
	}{
		{"releases", benchQuery, 5},
		{"latest", `query ($p: [String!]) { latest(products: $p) { product { key name } version tag publishedAt url } }`, 50},
	} {
		b.Run(q.name, func(b *testing.B) {
			bodies := make([][]byte, 4096)
			for i := range bodies {
				p := make([]string, q.n)
				for j := range p {
					p[j] = keys[rnd.IntN(len(keys))]
				}
				since := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rnd.Int64N(int64(10 * 365 * 24 * time.Hour))))
				bodies[i], _ = json.Marshal(map[string]any{"query": q.query, "variables": map[string]any{"p": p, "s": since.Format(time.RFC3339)}})
			}
			rec := httptest.NewRecorder()
			b.ReportAllocs()
			defer reportCPU(b)()
			for i := 0; b.Loop(); i++ {
				req, _ := http.NewRequest("POST", "/graphql", bytes.NewReader(bodies[i%len(bodies)]))
				req.Header.Set("Content-Type", "application/json")
				rec.Body.Reset()
				h.ServeHTTP(rec, req)
			}
			if bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
				b.Fatalf("unexpected answer: %s", rec.Body.Bytes())
			}
		})
	}
}
