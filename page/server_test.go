package page

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var secret = []byte("test-secret")

type pageServer struct {
	t   *testing.T
	dir string
	now time.Time
	srv *Server
}

func newPageServer(t *testing.T, dir string) *pageServer {
	t.Helper()
	ps := &pageServer{t: t, dir: dir, now: time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)}
	ps.restart()
	return ps
}

// restart starts a new server over the same directory, as after a reboot.
func (ps *pageServer) restart() {
	ps.t.Helper()
	st, err := OpenStore(ps.dir, 0)
	if err != nil {
		ps.t.Fatal(err)
	}
	if ps.srv, err = NewServer(secret, st, slog.New(slog.DiscardHandler)); err != nil {
		ps.t.Fatal(err)
	}
	ps.srv.Now = func() time.Time { return ps.now }
}

// signed is a push request signed at ts.
func signed(body []byte, ts time.Time, key []byte) *http.Request {
	req := httptest.NewRequest("POST", "/api/snapshot", bytes.NewReader(body))
	req.Header.Set(HeaderTimestamp, Stamp(ts))
	req.Header.Set(HeaderSignature, Sign(key, ts, body))
	return req
}

func (ps *pageServer) do(req *http.Request) (int, PushReply) {
	rec := httptest.NewRecorder()
	ps.srv.ServeHTTP(rec, req)
	var r PushReply
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		ps.t.Fatalf("push answer %d is not JSON: %q", rec.Code, rec.Body.String())
	}
	return rec.Code, r
}

func (ps *pageServer) page() string {
	_, html := get(ps.srv, "/?products=vue,react")
	return html
}

func TestServer_acceptsSignedPushesAndRefusesTheRest(t *testing.T) {
	ps := newPageServer(t, t.TempDir())
	if html := ps.page(); !strings.Contains(html, "No release data has been published here yet.") {
		t.Fatalf("empty page server:\n%s", html)
	}
	if code, _ := get(ps.srv, "/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	snap := testSnapshot(t)
	body := encode(t, snap)
	accepted := signed(body, ps.now, secret)
	replay := accepted.Clone(accepted.Context())
	replay.Body = io.NopCloser(bytes.NewReader(body))
	if code, r := ps.do(accepted); code != 200 || r.Version != 7 || r.Status != "stored" {
		t.Fatalf("push: %d %+v", code, r)
	}
	before := ps.page()
	if !strings.Contains(before, `Updated <time datetime="2026-03-09T00:00:00Z"`) || !strings.Contains(before, ">3.5.0</a>") {
		t.Fatalf("page after push:\n%s", before)
	}

	older := testSnapshot(t)
	older.Version = 6
	big := bytes.Repeat([]byte(" "), MaxSnapshotBytes+1)
	noSig := signed(body, ps.now, secret)
	noSig.Header.Del(HeaderSignature)
	cases := []struct {
		name string
		req  *http.Request
		code int
		want string
	}{
		{"bad signature", signed(body, ps.now, []byte("wrong")), 401, "signature does not match"},
		{"missing signature", noSig, 401, "missing signature"},
		{"stale timestamp", signed(body, ps.now.Add(-10*time.Minute), secret), 401, "outside the accepted window"},
		{"replay", replay, 409, "replay"},
		{"older snapshot", signed(encode(t, older), ps.now, secret), 409, "older snapshot: version 6, the page shows version 7"},
		{"not JSON", signed([]byte("{nope"), ps.now, secret), 400, "decode snapshot"},
		{"not a snapshot", signed([]byte(`{"version":8}`), ps.now, secret), 400, "invalid snapshot"},
		{"too large", signed(big, ps.now, secret), 413, "at most"},
		{"GET", httptest.NewRequest("GET", "/api/snapshot", nil), 405, "POST"},
	}
	for _, c := range cases {
		code, r := ps.do(c.req)
		if code != c.code || !strings.Contains(r.Error, c.want) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, code, r.Error, c.code, c.want)
		}
		if after := ps.page(); after != before {
			t.Errorf("%s changed the page", c.name)
		}
	}

	// The same version again (a retried push) is accepted without a new file.
	ps.now = ps.now.Add(time.Second)
	if code, r := ps.do(signed(body, ps.now, secret)); code != 200 || r.Status != "unchanged" {
		t.Fatalf("same snapshot again: %d %+v", code, r)
	}
	newer := testSnapshot(t)
	newer.Version = 8
	newer.Products[1].Latest.Version = "3.5.1"
	if code, r := ps.do(signed(encode(t, newer), ps.now, secret)); code != 200 || r.Status != "stored" || r.Version != 8 {
		t.Fatalf("newer: %d %+v", code, r)
	}
	if html := ps.page(); !strings.Contains(html, `data-version="8"`) || !strings.Contains(html, ">3.5.1</a>") {
		t.Fatalf("page after newer push:\n%s", html)
	}
	if got := files(t, ps.dir); len(got) != 3 { // two snapshots and replay.json
		t.Errorf("files %v", got)
	}

	// After a restart it serves the newest snapshot and still knows the signatures.
	last := ps.page()
	ps.restart()
	if ps.page() != last {
		t.Error("page differs after a restart")
	}
	replay = accepted.Clone(accepted.Context())
	replay.Body = io.NopCloser(bytes.NewReader(body))
	if code, r := ps.do(replay); code != 409 || !strings.Contains(r.Error, "replay") {
		t.Errorf("replay after restart: %d %+v", code, r)
	}
	_, feed := get(ps.srv, "/feed.atom?products=vue")
	checkAtom(t, []byte(feed))
}
