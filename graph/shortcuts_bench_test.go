package graph

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
)

// Each shortcut of graph/fastpath on its own, off then on, through the real
// handler (make bench-shortcuts; BENCHMARKS.md has the table):
//
//	go test -run '^$' -bench Shortcut -count 5 ./graph/ ./graph/fastpath/
//
// Distinct request bodies, no response cache: every request is answered.

func benchShortcuts(b *testing.B, off, on shortcuts) {
	quiet := Options{Log: slog.New(slog.DiscardHandler), CacheBytes: -1}
	b.Run("off", func(b *testing.B) { runBench(b, newHandler(benchResolver(b), quiet, off), true) })
	b.Run("on", func(b *testing.B) { runBench(b, newHandler(benchResolver(b), quiet, on), true) })
}

// The fast path within gqlgen's executor, against gqlgen's executor alone.
func BenchmarkShortcut_fastPath(b *testing.B) {
	benchShortcuts(b, shortcuts{off: true}, shortcuts{noDirect: true})
}

// The direct path, against the fast path within gqlgen's executor.
func BenchmarkShortcut_directPath(b *testing.B) {
	benchShortcuts(b, shortcuts{noDirect: true}, shortcuts{})
}

// The row memo, under the direct path.
func BenchmarkShortcut_rowMemo(b *testing.B) {
	benchShortcuts(b, shortcuts{noMemo: true}, shortcuts{})
}

// The one-write connection (Serve), against net/http's own, on loopback:
// a 50-row answer (~14 KB) from the response cache, client and server in
// this process.
func BenchmarkShortcut_oneWriteConn(b *testing.B) {
	for _, held := range []bool{false, true} {
		name := map[bool]string{false: "off", true: "on"}[held]
		b.Run(name, func(b *testing.B) {
			h := NewHandler(benchResolver(b), Options{Log: slog.New(slog.DiscardHandler)})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := &http.Server{Handler: h}
			if held {
				go Serve(srv, ln)
			} else {
				go srv.Serve(ln)
			}
			defer srv.Close()
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
			url := "http://" + ln.Addr().String() + "/graphql"
			body := benchBody(benchQuery, benchEpoch)
			var buf bytes.Buffer
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				resp, err := c.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				buf.Reset()
				io.Copy(&buf, resp.Body)
				resp.Body.Close()
			}
			if !bytes.Contains(buf.Bytes(), []byte(`"hasNextPage":true`)) {
				b.Fatalf("unexpected answer: %s", buf.Bytes())
			}
		})
	}
}
