package page

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// zeros is an endless body that costs the sender no memory.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// push sends a body of n zero bytes to url with the given headers.
func push(t *testing.T, url string, n int64, header http.Header) int {
	req, err := http.NewRequest("POST", url+"/api/snapshot", io.LimitReader(zeros{}, n))
	if err != nil {
		t.Error(err)
		return 0
	}
	req.ContentLength = n
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil { // the server may close the connection on an unread body
		return -1
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// heapPeak samples the heap in use until stop is called, and returns its peak
// growth over the heap when it started.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base := m.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
				peak.Store(m.HeapInuse - base)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

// pushes sends 40 bodies of MaxSnapshotBytes at once and returns their status codes.
func pushes(t *testing.T, url string, header func() http.Header) map[int]int {
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := push(t, url, MaxSnapshotBytes, header())
			mu.Lock()
			codes[c]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return codes
}

func TestServer_unsignedPushesAreRefusedUnread(t *testing.T) {
	ps := newPageServer(t, t.TempDir())
	ps.srv.Now = nil // the real clock: pushes are signed with it
	srv := httptest.NewServer(ps.srv)
	defer srv.Close()

	stop := heapPeak()
	codes := pushes(t, srv.URL, func() http.Header { return http.Header{} })
	peak := stop()
	t.Logf("40 unsigned pushes of %d MiB: answers %v, heap peak +%.1f MB", MaxSnapshotBytes>>20, codes, float64(peak)/1e6)
	if codes[401]+codes[-1] != 40 {
		t.Errorf("answers %v, want 401 to all", codes)
	}
	if peak > 50e6 {
		t.Errorf("heap grew %.1f MB under unsigned pushes, want < 50 MB", float64(peak)/1e6)
	}
	pushStillWorks(t, srv.URL)
}

func TestServer_forgedPushesAreReadAFewAtATime(t *testing.T) {
	ps := newPageServer(t, t.TempDir())
	ps.srv.Now = nil
	srv := httptest.NewServer(ps.srv)
	defer srv.Close()

	// Well-formed and fresh headers, a wrong signature: the body must be read to
	// know, ParallelPushes at a time.
	forged := func() http.Header {
		h := http.Header{}
		h.Set(HeaderTimestamp, Stamp(time.Now()))
		h.Set(HeaderSignature, Sign([]byte("guess"), time.Now(), nil))
		return h
	}
	stop := heapPeak()
	codes := pushes(t, srv.URL, forged)
	peak := stop()
	t.Logf("40 forged pushes of %d MiB: answers %v, heap peak +%.1f MB", MaxSnapshotBytes>>20, codes, float64(peak)/1e6)
	if codes[200] > 0 || codes[401] == 0 {
		t.Errorf("answers %v, want 401 (or 503 when busy)", codes)
	}
	// ParallelPushes buffers of 8 MiB, reused, and a little.
	if limit := uint64(ParallelPushes*MaxSnapshotBytes + 16<<20); peak > limit {
		t.Errorf("heap grew %.1f MB under forged pushes, want < %.1f MB", float64(peak)/1e6, float64(limit)/1e6)
	}
	pushStillWorks(t, srv.URL)
}

// pushStillWorks pushes a signed snapshot and checks it is stored.
func pushStillWorks(t *testing.T, url string) {
	t.Helper()
	body := encode(t, testSnapshot(t))
	req, _ := http.NewRequest("POST", url+"/api/snapshot", bytes.NewReader(body))
	now := time.Now()
	req.Header.Set(HeaderTimestamp, Stamp(now))
	req.Header.Set(HeaderSignature, Sign(secret, now, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"stored"`) {
		t.Fatalf("a signed push afterwards: %d %s", resp.StatusCode, b)
	}
}

func TestServer_replayWithUpperCaseSignatureIsRefused(t *testing.T) {
	ps := newPageServer(t, t.TempDir())
	older := testSnapshot(t)
	newer := testSnapshot(t)
	newer.Products[1].Latest.Version = "3.5.1" // the same lake version, a new catalog
	first := signed(encode(t, older), ps.now, secret)
	sig := first.Header.Get(HeaderSignature)
	if code, r := ps.do(first); code != 200 || r.Status != "stored" {
		t.Fatalf("first push: %d %+v", code, r)
	}
	ps.now = ps.now.Add(time.Second)
	if code, r := ps.do(signed(encode(t, newer), ps.now, secret)); code != 200 || r.Status != "stored" {
		t.Fatalf("second push: %d %+v", code, r)
	}
	want := ps.page()
	for _, spelt := range []string{"sha256=" + strings.ToUpper(sig[7:]), sig} {
		replay := signed(encode(t, older), ps.now, secret)
		replay.Header.Set(HeaderTimestamp, first.Header.Get(HeaderTimestamp))
		replay.Header.Set(HeaderSignature, spelt)
		if code, r := ps.do(replay); code != 409 || !strings.Contains(r.Error, "replay") {
			t.Errorf("replay as %s…: %d %+v, want 409", spelt[:12], code, r)
		}
		if ps.page() != want {
			t.Errorf("replay as %s… rolled the page back", spelt[:12])
		}
	}
}

func TestServer_busyAnswers503WithRetryAfter(t *testing.T) {
	ps := newPageServer(t, t.TempDir())
	var held []*bytes.Buffer
	for range ParallelPushes {
		held = append(held, <-ps.srv.buffers)
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	ps.srv.ServeHTTP(rec, signed(encode(t, testSnapshot(t)), ps.now, secret))
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Errorf("busy: %d %q, Retry-After %q", rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
	}
	if d := time.Since(start); d < PushQueueWait || d > PushQueueWait+time.Second {
		t.Errorf("waited %s for a turn, want %s", d, PushQueueWait)
	}
	for _, b := range held {
		ps.srv.buffers <- b
	}
	if code, r := ps.do(signed(encode(t, testSnapshot(t)), ps.now, secret)); code != 200 {
		t.Errorf("after: %d %+v", code, r)
	}
}
