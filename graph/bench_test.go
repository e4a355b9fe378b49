package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

// benchResolver: 49 products of 400 releases, like scripts/gateway-bench.
func benchResolver(b *testing.B) *Resolver {
	var ps []releaselake.Product
	var rows []releaselake.Release
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	for pi := range 49 {
		p := releaselake.Product{Key: fmt.Sprintf("p%02d", pi), Name: fmt.Sprintf("Product %d", pi), GitHub: fmt.Sprintf("owner/p%02d", pi)}
		ps = append(ps, p)
		for i := range 400 {
			v := fmt.Sprintf("%d.%d.%d", i/100, (i/10)%10, i%10)
			at := start.Add(time.Duration(i)*218*time.Hour + time.Duration(pi)*time.Hour)
			rows = append(rows, releaselake.Release{Product: p.Key, Tag: "v" + v, Version: v, Name: p.Name + " " + v,
				URL: "https://github.com/" + p.GitHub + "/releases/tag/v" + v, Source: releaselake.SourceGitHubRelease,
				Repo: p.GitHub, DateSource: releaselake.DateReleasePublished, PublishedAt: at, FirstSeenAt: at, Prerelease: i%10 == 9})
		}
	}
	cat, err := releaselake.NewCatalog(ps)
	if err != nil {
		b.Fatal(err)
	}
	ix := releaselake.NewIndex(releaselake.Snapshot{Version: 1, Releases: rows})
	return &Resolver{Catalog: cat, Index: func() *releaselake.Index { return ix },
		Runs:    func(context.Context, int) ([]releaselake.Run, error) { return nil, nil },
		Notices: func() []string { return nil }}
}

const benchQuery = `query ($p: [String!], $s: DateTime) { releases(products: $p, since: $s, first: 50) {
	totalCount pageInfo { hasNextPage endCursor }
	nodes { product { key name } version tag name url publishedAt prerelease source dateSource } } }`

func benchBody(since time.Time) []byte {
	b, _ := json.Marshal(map[string]any{"query": benchQuery,
		"variables": map[string]any{"p": []string{"p01", "p07", "p13", "p21", "p42"}, "s": since.Format(time.RFC3339)}})
	return b
}

func runBench(b *testing.B, h http.Handler, distinct bool) {
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	body := benchBody(base)
	rec := httptest.NewRecorder()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if distinct {
			body = benchBody(base.Add(time.Duration(i) * time.Second))
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

// go test -bench Gateway -run '^$' ./graph
func BenchmarkGateway_repeated(b *testing.B) {
	runBench(b, NewHandler(benchResolver(b), Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}), false)
}

func BenchmarkGateway_distinct(b *testing.B) {
	runBench(b, NewHandler(benchResolver(b), Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}), true)
}

func BenchmarkGateway_distinctNoFastPath(b *testing.B) {
	runBench(b, NewHandler(benchResolver(b), Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), noFastPath: true}), true)
}
