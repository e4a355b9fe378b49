package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGateway_lines: Product.lines over benchResolver's 49 products of
// 400 releases (40 minor lines each), through the handler with no response
// cache, so each request is executed (by gqlgen's executor: the fast path
// leaves lines to it). The lines themselves are worked out on the first
// request and kept with the index.
// go test -run '^$' -bench Gateway_lines ./graph
func BenchmarkGateway_lines(b *testing.B) {
	h := NewHandler(benchResolver(b), Options{Log: quietLog(), CacheBytes: -1})
	for _, q := range []struct{ name, query string }{
		{"oneProduct", `{ product(key: "p07") { lines { line latest { version publishedAt } first { version } releases lastReleasedAt active } } }`},
		{"allProducts", `{ products { key lines(first: 5) { line latest { version } active } } }`},
	} {
		b.Run(q.name, func(b *testing.B) {
			body, _ := json.Marshal(map[string]any{"query": q.query})
			rec := httptest.NewRecorder()
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				req, _ := http.NewRequest("POST", "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec.Body.Reset()
				h.ServeHTTP(rec, req)
			}
			if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) || !bytes.Contains(rec.Body.Bytes(), []byte(`"line":"3.9"`)) {
				b.Fatalf("unexpected answer: %d %s", rec.Code, rec.Body.Bytes())
			}
		})
	}
}
