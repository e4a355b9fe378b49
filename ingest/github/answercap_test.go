package github

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// gzipBomb is valid JSON that decompresses to n bytes: {"data":<spaces>null}.
func gzipBomb(t *testing.T, n int) string {
	var buf bytes.Buffer
	z, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	z.Write([]byte(`{"data":`))
	spaces := bytes.Repeat([]byte(" "), 1<<20)
	for range n >> 20 {
		z.Write(spaces)
	}
	z.Write([]byte(`null}`))
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// A gzip bomb from GITHUB_GRAPHQL_URL (it took the ingest to 2.7 GB) fails the
// products with a clear error, not retried, and the heap stays bounded.
func TestSource_Fetch_gzipBombIsCapped(t *testing.T) {
	srv := githubtest.NewServer(t)
	bomb := gzipBomb(t, 512<<20)
	var bombs atomic.Int32
	srv.SetFault(func(*githubtest.Request) *githubtest.Fault {
		bombs.Add(1)
		return &githubtest.Fault{Header: http.Header{"Content-Encoding": {"gzip"}}, Body: bomb}
	})
	s := newSource(srv, Config{})
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	l := &lake{}
	got := l.crawl(t, s, fixtures)
	close(done)
	grew := float64(peak.Load()-min(peak.Load(), base.HeapInuse)) / 1e6
	t.Logf("%d KB of gzip, 512 MiB decompressed: %d requests, heap peak +%.0f MB", len(bomb)>>10, bombs.Load(), grew)
	for _, f := range got {
		if f.Err == nil || !strings.Contains(f.Err.Error(), "answer over the 64 MiB cap") {
			t.Errorf("%s: %v, want the cap named", f.Product, f.Err)
		}
	}
	if n := bombs.Load(); n != 1 {
		t.Errorf("%d requests, want 1: not retried", n)
	}
	if grew > 200 {
		t.Errorf("heap grew %.0f MB, want < 200", grew)
	}
	srv.SetFault(nil)
	for _, f := range l.crawl(t, s, fixtures) {
		if f.Err != nil {
			t.Errorf("after the bomb: %s: %v", f.Product, f.Err)
		}
	}
}
