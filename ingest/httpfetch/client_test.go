package httpfetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

// script is a fake upstream answering request n with answers[n] (the last one
// repeats), recording what it was asked.
type script struct {
	mu       sync.Mutex
	answers  []func(w http.ResponseWriter, r *http.Request)
	requests []*http.Request
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := len(s.requests)
	s.requests = append(s.requests, r)
	s.mu.Unlock()
	if n >= len(s.answers) {
		n = len(s.answers) - 1
	}
	s.answers[n](w, r)
}

func (s *script) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func status(code int, header ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

func body(s string, header ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Write([]byte(s))
	}
}

// newClient returns a client of srv that records the waits instead of waiting.
func newClient(t *testing.T, srv *httptest.Server) (*Client, *[]time.Duration) {
	t.Helper()
	var waits []time.Duration
	c := &Client{
		HTTP:  srv.Client(),
		Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil },
	}
	return c, &waits
}

func serve(t *testing.T, answers ...func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *script) {
	t.Helper()
	s := &script{answers: answers}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, s
}

func TestClient_Do_sendsUserAgentAcceptAndValidators(t *testing.T) {
	srv, s := serve(t, body(`{}`))
	c, _ := newClient(t, srv)
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x", Accept: "application/json",
		If: Validators{ETag: `"v1"`, LastModified: "Wed, 21 Oct 2026 07:28:00 GMT"}})
	if err != nil {
		t.Fatal(err)
	}
	h := s.requests[0].Header
	if ua := h.Get("User-Agent"); !strings.HasPrefix(ua, "releaselake/") {
		t.Errorf("User-Agent %q does not name the project", ua)
	}
	if h.Get("Accept") != "application/json" || h.Get("If-None-Match") != `"v1"` || h.Get("If-Modified-Since") != "Wed, 21 Oct 2026 07:28:00 GMT" {
		t.Errorf("headers %v", h)
	}
}

func TestClient_Do_304IsNotModified(t *testing.T) {
	srv, _ := serve(t, status(http.StatusNotModified))
	c, _ := newClient(t, srv)
	resp, err := c.Do(context.Background(), Request{URL: srv.URL, If: Validators{ETag: `"v1"`}})
	if err != nil || !resp.NotModified() || resp.Body != nil {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
}

func TestClient_Do_429HonoursRetryAfter(t *testing.T) {
	date := time.Date(2026, 11, 25, 0, 0, 30, 0, time.UTC)
	srv, s := serve(t,
		status(http.StatusTooManyRequests, "Retry-After", "7"),
		status(http.StatusServiceUnavailable, "Retry-After", date.Format(http.TimeFormat)),
		body("ok"))
	c, waits := newClient(t, srv)
	c.Now = func() time.Time { return date.Add(-12 * time.Second) }
	var sent atomic.Int64
	c.Sent = &sent
	resp, err := c.Do(context.Background(), Request{URL: srv.URL})
	if err != nil || string(resp.Body) != "ok" {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
	if s.count() != 3 || sent.Load() != 3 || len(*waits) != 2 || (*waits)[0] != 7*time.Second || (*waits)[1] != 12*time.Second {
		t.Fatalf("%d requests, waits %v; want 3 requests after waits [7s 12s]", s.count(), *waits)
	}
}

func TestClient_Do_500RetriedWithGrowingBackoff(t *testing.T) {
	srv, s := serve(t, status(500))
	c, waits := newClient(t, srv)
	c.Backoff = time.Second
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/p"})
	if s.count() != Attempts {
		t.Fatalf("%d requests, want %d", s.count(), Attempts)
	}
	if releaselake.ClassOf(err) != releaselake.Unavailable || !strings.Contains(err.Error(), "GET "+srv.URL+"/p: HTTP 500 Internal Server Error (after 4 attempts)") {
		t.Fatalf("err %v (%s)", err, releaselake.ClassOf(err))
	}
	if len(*waits) != Attempts-1 {
		t.Fatalf("waits %v", *waits)
	}
	for i, w := range *waits {
		full := time.Second << i
		if w < full/2 || w > full {
			t.Errorf("wait %d is %v, want within [%v, %v]", i+1, w, full/2, full)
		}
	}
}

func TestClient_Do_retryAfterTooLongFailsAtOnce(t *testing.T) {
	srv, s := serve(t, status(http.StatusTooManyRequests, "Retry-After", "3600"))
	c, waits := newClient(t, srv)
	_, err := c.Do(context.Background(), Request{URL: srv.URL})
	if s.count() != 1 || len(*waits) != 0 || err == nil || !strings.Contains(err.Error(), "HTTP 429 Too Many Requests asking to retry after 1h0m0s") {
		t.Fatalf("%d requests, waits %v, err %v", s.count(), *waits, err)
	}
}

func TestClient_Do_clientErrorsAreNotRetried(t *testing.T) {
	for _, tc := range []struct {
		code  int
		class releaselake.Class
	}{{404, releaselake.NotFound}, {403, releaselake.Unavailable}, {410, releaselake.Unavailable}} {
		srv, s := serve(t, status(tc.code))
		c, _ := newClient(t, srv)
		_, err := c.Do(context.Background(), Request{URL: srv.URL})
		var se *StatusError
		if s.count() != 1 || !errors.As(err, &se) || se.Status != tc.code || releaselake.ClassOf(err) != tc.class {
			t.Errorf("HTTP %d: %d requests, err %v (%s)", tc.code, s.count(), err, releaselake.ClassOf(err))
		}
	}
}

func TestClient_Do_sizeCap(t *testing.T) {
	big := strings.Repeat("x", 100)
	chunked := func(w http.ResponseWriter, r *http.Request) {
		for range 10 {
			w.Write([]byte(big[:10]))
			w.(http.Flusher).Flush() // no Content-Length: the cap is found while reading
		}
	}
	for name, answer := range map[string]func(http.ResponseWriter, *http.Request){"with length": body(big), "chunked": chunked} {
		srv, s := serve(t, answer)
		c, _ := newClient(t, srv)
		c.MaxBytes = 99
		_, err := c.Do(context.Background(), Request{URL: srv.URL})
		if s.count() != 1 || err == nil || !strings.Contains(err.Error(), "over the 99-byte cap") {
			t.Errorf("%s: %d requests, err %v", name, s.count(), err)
		}
		c.MaxBytes = 100
		if resp, err := c.Do(context.Background(), Request{URL: srv.URL}); err != nil || len(resp.Body) != 100 {
			t.Errorf("%s: at the cap: err %v", name, err)
		}
	}
}

func TestClient_Do_truncatedBodyIsRetried(t *testing.T) {
	truncated := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte(`{"releases":`)) // and the connection closes short
	}
	srv, s := serve(t, truncated, body(`{"releases":{}}`))
	c, waits := newClient(t, srv)
	resp, err := c.Do(context.Background(), Request{URL: srv.URL})
	if err != nil || string(resp.Body) != `{"releases":{}}` || s.count() != 2 || len(*waits) != 1 {
		t.Fatalf("err %v, %d requests", err, s.count())
	}
	srv, _ = serve(t, truncated)
	c, _ = newClient(t, srv)
	_, err = c.Do(context.Background(), Request{URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "read body: unexpected EOF (after 4 attempts)") {
		t.Fatalf("err %v", err)
	}
}

func TestClient_Do_timeout(t *testing.T) {
	release := make(chan struct{})
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c, _ := newClient(t, srv)
	c.HTTP = &http.Client{Timeout: 20 * time.Millisecond}
	c.Attempts = 2
	_, err := c.Do(context.Background(), Request{URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "Timeout") || releaselake.ClassOf(err) != releaselake.Unavailable {
		t.Fatalf("err %v", err)
	}
}

func TestClient_Do_stopsWhenContextEnds(t *testing.T) {
	srv, s := serve(t, status(503))
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{HTTP: srv.Client(), Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }}
	_, err := c.Do(ctx, Request{URL: srv.URL})
	if s.count() != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("%d requests, err %v", s.count(), err)
	}
}
