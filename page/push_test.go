package page

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeState is a StateStore in memory.
type fakeState struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (f *fakeState) ReadState(_ context.Context, name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[name], nil
}

func (f *fakeState) WriteState(_ context.Context, name string, b []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string][]byte{}
	}
	f.m[name] = b
	return nil
}

// flaky is a page server in front of a real one that answers the next fail
// requests with 503, counting every request.
type flaky struct {
	mu       sync.Mutex
	fail     int
	requests int
	next     http.Handler
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	fail := f.fail > 0
	if fail {
		f.fail--
	}
	f.mu.Unlock()
	if fail {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	f.next.ServeHTTP(w, r)
}

func newPusher(url string, waits *[]time.Duration) *Pusher {
	return &Pusher{URL: url, Secret: secret, Sleep: func(_ context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return nil
	}}
}

func realServer(t *testing.T) *Server {
	st, err := OpenStore(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(secret, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestPusher_retriesServerErrorsWithDoublingWaits(t *testing.T) {
	f := &flaky{fail: 2, next: realServer(t)}
	hs := httptest.NewServer(f)
	defer hs.Close()
	var waits []time.Duration
	res := newPusher(hs.URL, &waits).Push(context.Background(), testSnapshot(t))
	if !res.Pushed || res.Status != 200 || res.Version != 7 || f.requests != 3 {
		t.Fatalf("%+v after %d requests", res, f.requests)
	}
	if len(waits) != 2 || waits[0] != DefaultBackoff || waits[1] != 2*DefaultBackoff {
		t.Errorf("waits %v", waits)
	}

	f.fail = 10
	f.requests = 0
	waits = nil
	res = newPusher(hs.URL, &waits).Push(context.Background(), testSnapshot(t))
	if res.Pushed || res.Status != 503 || f.requests != DefaultAttempts || !strings.Contains(res.Message, "page server failed (4 attempts)") {
		t.Fatalf("%+v after %d requests", res, f.requests)
	}
}

func TestPusher_refusalIsNotRetried(t *testing.T) {
	f := &flaky{next: realServer(t)}
	hs := httptest.NewServer(f)
	defer hs.Close()
	var waits []time.Duration
	p := newPusher(hs.URL, &waits)
	p.Secret = []byte("not the page server's")
	res := p.Push(context.Background(), testSnapshot(t))
	if res.Pushed || res.Status != 401 || f.requests != 1 || len(waits) != 0 ||
		!strings.Contains(res.Message, "refused the push: 401 Unauthorized: signature does not match") {
		t.Fatalf("%+v after %d requests", res, f.requests)
	}
}

func TestPusher_unreachable(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	url := hs.URL
	hs.Close()
	var waits []time.Duration
	res := newPusher(url, &waits).Push(context.Background(), testSnapshot(t))
	if res.Pushed || res.Status != 0 || len(waits) != DefaultAttempts-1 || !strings.Contains(res.Message, "not reached (4 attempts)") {
		t.Fatalf("%+v, waits %v", res, waits)
	}
}

func TestSender_pushesWhatThePageServerLacks(t *testing.T) {
	f := &flaky{next: realServer(t)}
	hs := httptest.NewServer(f)
	defer hs.Close()
	var waits []time.Duration
	state := &fakeState{}
	snap := testSnapshot(t)
	s := &Sender{Pusher: newPusher(hs.URL, &waits), State: state,
		Snapshot: func(context.Context) (*Snapshot, error) { return snap, nil }}
	ctx := context.Background()

	if err := s.Send(ctx); err != nil || f.requests != 1 {
		t.Fatalf("first send: %v, %d requests", err, f.requests)
	}
	if err := s.Send(ctx); err != nil || f.requests != 1 {
		t.Fatalf("send of what was pushed: %v, %d requests (want none)", err, f.requests)
	}
	// A new version meets a failing page server: the error says so and the next
	// send pushes it.
	snap = testSnapshot(t)
	snap.Version = 8
	f.fail = DefaultAttempts
	if err := s.Send(ctx); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("send to a failing server: %v", err)
	}
	if st, _ := s.LastPush(ctx); st.Pushed || st.Version != 8 || st.Status != 503 {
		t.Fatalf("state after failure: %+v", st)
	}
	f.requests = 0
	if err := s.Send(ctx); err != nil || f.requests != 1 {
		t.Fatalf("retry on the next send: %v, %d requests", err, f.requests)
	}
	if st, _ := s.LastPush(ctx); !st.Pushed || st.Version != 8 {
		t.Fatalf("state after retry: %+v", st)
	}
	// Push pushes even what was pushed; the page server answers unchanged.
	res, err := s.Push(ctx)
	if err != nil || !res.Pushed || !strings.Contains(res.Message, "unchanged") || f.requests != 2 {
		t.Fatalf("forced push: %+v %v", res, err)
	}
	// Nothing committed yet: Send has nothing to do, Push says so.
	snap = nil
	if err := s.Send(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Push(ctx); err != ErrNothingToPush {
		t.Fatalf("push of nothing: %v", err)
	}
}

// User info in RELEASELAKE_PAGE_URL (a proxy in front of the page server)
// authenticates the push and is in no message, reached or not.
func TestPusher_credentialsInTheURLAreNeverShown(t *testing.T) {
	next := realServer(t)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, pw, ok := r.BasicAuth(); !ok || u != "proxy" || pw != "S3CRET" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	}))
	withUser := strings.Replace(hs.URL, "http://", "http://proxy:S3CRET@", 1)
	var waits []time.Duration
	if res := newPusher(withUser, &waits).Push(context.Background(), testSnapshot(t)); !res.Pushed || strings.Contains(res.Message, "S3CRET") {
		t.Fatalf("%+v", res)
	}
	hs.Close()
	res := newPusher(withUser, &waits).Push(context.Background(), testSnapshot(t))
	if res.Pushed || !strings.Contains(res.Message, "not reached") || strings.Contains(res.Message, "S3CRET") || strings.Contains(res.Message, "proxy") {
		t.Fatalf("%+v", res)
	}
}
