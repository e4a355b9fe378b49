package graph

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// subsLake is a handler over a lake whose versions the test makes: each
// publish adds releases, swaps the index and tells the broadcaster, as the
// engine does.
type subsLake struct {
	t   *testing.T
	srv *httptest.Server
	b   *serving.Broadcaster

	mu   sync.Mutex
	ix   *serving.Index
	rels []releaselake.Release
}

// newSubsLake serves products a and b (and more keys, each a GitHub
// product), at most max subscriptions.
func newSubsLake(t *testing.T, max int, o Options, more ...string) *subsLake {
	t.Helper()
	ps := []releaselake.Product{{Key: "a", Name: "A", Kind: "github", Ref: "o/a"}, {Key: "b", Name: "B", Kind: "pypi", Ref: "b"}}
	for _, k := range more {
		ps = append(ps, releaselake.Product{Key: k, Name: k, Kind: "github", Ref: "o/" + k})
	}
	cat, err := releaselake.NewCatalog(ps)
	if err != nil {
		t.Fatal(err)
	}
	l := &subsLake{t: t, b: serving.NewBroadcaster(max, nil), rels: rows(3)}
	l.ix = serving.NewIndex(releaselake.Snapshot{Version: 1, Releases: l.rels})
	r := &Resolver{Catalog: cat, Index: l.index, Broadcast: l.b,
		Runs:    func(context.Context, int) ([]releaselake.Run, error) { return nil, nil },
		Notices: func() []string { return nil }}
	o.Log = quietLog()
	l.srv = httptest.NewServer(NewHandler(r, o))
	t.Cleanup(l.srv.Close)
	t.Cleanup(l.b.Close) // ends the streams before the server closes
	return l
}

func (l *subsLake) index() *serving.Index { l.mu.Lock(); defer l.mu.Unlock(); return l.ix }

// publish commits a version with rels added (or replacing the row of their
// tag) and tells the subscribers.
func (l *subsLake) publish(rels ...releaselake.Release) {
	l.mu.Lock()
	older := l.ix
	for _, r := range rels {
		replaced := false
		for i := range l.rels {
			if l.rels[i].Product == r.Product && l.rels[i].Tag == r.Tag {
				l.rels[i], replaced = r, true
			}
		}
		if !replaced {
			l.rels = append(l.rels, r)
		}
	}
	l.ix = serving.NewIndex(releaselake.Snapshot{Version: older.Version + 1, CommittedAt: time.Now().UTC(), Releases: l.rels})
	newer := l.ix
	l.mu.Unlock()
	l.b.Publish(older, newer)
}

// awaitOpen waits until n subscriptions are open.
func (l *subsLake) awaitOpen(n int) {
	l.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); l.b.Open() != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			l.t.Fatalf("%d subscriptions open, want %d", l.b.Open(), n)
		}
	}
}

const eventQuery = `subscription ($p: [String!], $pre: Boolean) {
  releasePublished(products: $p, prerelease: $pre) { change version release { product { key } tag prerelease } }
}`

type event struct {
	ReleasePublished struct {
		Change  string
		Version int
		Release struct {
			Product    struct{ Key string }
			Tag        string
			Prerelease bool
		}
	}
}

func (e event) String() string {
	p := e.ReleasePublished
	return fmt.Sprintf("%s %s %s v%d", p.Change, p.Release.Product.Key, p.Release.Tag, p.Version)
}

// sseStream is one graphql-sse (distinct connections) subscription.
type sseStream struct {
	resp *http.Response
	sc   *bufio.Scanner
}

func openSSE(t *testing.T, url string, q string, vars map[string]any, header map[string]string) *sseStream {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sseStream{resp: resp, sc: bufio.NewScanner(resp.Body)}
}

// next returns the next event's name and data ("complete", "" at the end).
func (s *sseStream) next(t *testing.T) (string, []byte) {
	t.Helper()
	var name string
	var data []byte
	for s.sc.Scan() {
		ln := s.sc.Text()
		switch {
		case ln == "" && name != "":
			return name, data
		case strings.HasPrefix(ln, "event: "):
			name = strings.TrimPrefix(ln, "event: ")
		case strings.HasPrefix(ln, "data: "):
			data = []byte(strings.TrimPrefix(ln, "data: "))
		}
	}
	return "", nil
}

func (s *sseStream) event(t *testing.T) (event, response) {
	t.Helper()
	name, data := s.next(t)
	if name != "next" {
		t.Fatalf("SSE event %q, want next", name)
	}
	var r struct {
		Data   event
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	return r.Data, response{Errors: r.Errors}
}

// Over graphql-sse a subscriber hears of each release a version added or
// changed among the products it asked for, stable ones unless it asked for
// prereleases, in order; the stream completes when the server shuts down.
func TestSubscription_sseDeliversWhatMatches(t *testing.T) {
	l := newSubsLake(t, 10, Options{})
	stable := openSSE(t, l.srv.URL, eventQuery, map[string]any{"p": []string{"a"}}, nil)
	if h := stable.resp.Header; stable.resp.StatusCode != 200 || h.Get("Content-Type") != "text/event-stream" || h.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("HTTP %d, %v", stable.resp.StatusCode, h)
	}
	all := openSSE(t, l.srv.URL, eventQuery, map[string]any{"pre": true}, nil)
	l.awaitOpen(2)
	day := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	l.publish(
		releaselake.Release{Product: "a", Tag: "v2.0.0-rc.1", Version: "2.0.0-rc.1", PublishedAt: day, Prerelease: true},
		releaselake.Release{Product: "b", Tag: "9.0", Version: "9.0", PublishedAt: day},
	)
	l.publish(
		releaselake.Release{Product: "a", Tag: "v2.0.0-rc.1", Version: "2.0.0-rc.1", PublishedAt: day},
		releaselake.Release{Product: "a", Tag: "v1.0.0", Version: "1.0.0", PublishedAt: day}, // re-dated
	)
	var got []string
	for range 2 {
		ev, _ := stable.event(t)
		got = append(got, ev.String())
	}
	if want := "[UPDATED a v1.0.0 v3 BECAME_STABLE a v2.0.0-rc.1 v3]"; fmt.Sprint(got) != want {
		t.Errorf("stable a: %s, want %s", got, want)
	}
	got = nil
	for range 4 {
		ev, _ := all.event(t)
		got = append(got, ev.String())
	}
	if want := "[NEW a v2.0.0-rc.1 v2 NEW b 9.0 v2 UPDATED a v1.0.0 v3 BECAME_STABLE a v2.0.0-rc.1 v3]"; fmt.Sprint(got) != want {
		t.Errorf("all: %s, want %s", got, want)
	}
	l.b.Close() // as the engine does when the server shuts down
	if name, _ := stable.next(t); name != "complete" {
		t.Errorf("after the shutdown: event %q, want complete", name)
	}
}

// A subscription asked over plain POST or GET (405, as GET refuses
// mutations), a query or mutation asked over SSE, and unknown products are
// refused at once, as GraphQL errors.
func TestSubscription_refusedOffItsTransports(t *testing.T) {
	l := newSubsLake(t, 10, Options{})
	if r := post(t, l.srv, eventQuery, nil); code(r) != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "text/event-stream") {
		t.Errorf("subscription over POST: %+v", r)
	}
	resp, err := http.Get(l.srv.URL + "?query=" + url.QueryEscape(eventQuery))
	if err != nil {
		t.Fatal(err)
	}
	var got response
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || len(got.Errors) == 0 { // as GET refuses mutations (fastpath.GET)
		t.Errorf("subscription over GET: HTTP %d %+v", resp.StatusCode, got)
	}
	// A query or a mutation that also accepts text/event-stream (urql's
	// Accept on every request) is answered by the query transports, as JSON,
	// and holds no stream's place; and so is a GET with another Upgrade (h2c).
	for _, q := range []string{`{ products { key } }`, `{ products(search: "subscription") { key } }`} {
		s := openSSE(t, l.srv.URL, q, nil, map[string]string{"Accept": "application/graphql-response+json, application/json, text/event-stream, multipart/mixed"})
		var got response
		json.NewDecoder(s.resp.Body).Decode(&got)
		if ct := s.resp.Header.Get("Content-Type"); s.resp.StatusCode != http.StatusOK || strings.Contains(ct, "event-stream") || len(got.Errors) != 0 || got.Data["products"] == nil {
			t.Errorf("query %q accepting event streams: HTTP %d %s %+v", q, s.resp.StatusCode, ct, got)
		}
	}
	if s := openSSE(t, l.srv.URL, `mutation { pushPage { pushed } }`, nil, nil); strings.Contains(s.resp.Header.Get("Content-Type"), "event-stream") {
		t.Errorf("mutation accepting event streams answered as a stream: %s", s.resp.Header.Get("Content-Type"))
	}
	req, _ := http.NewRequest(http.MethodGet, l.srv.URL+"?query="+url.QueryEscape(`{ products { key } }`), nil)
	req.Header.Set("Upgrade", "h2c")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET query with Upgrade: h2c: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	_, r := openSSE(t, l.srv.URL, eventQuery, map[string]any{"p": []string{"nope"}}, nil).event(t)
	if code(r) != "NOT_FOUND" && code(r) != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "nope") {
		t.Errorf("unknown product: %+v", r)
	}
	if l.b.Open() != 0 {
		t.Errorf("%d subscriptions open after refusals", l.b.Open())
	}
}

// Past RELEASELAKE_MAX_SUBSCRIPTIONS streams, an SSE request is answered 503
// with Retry-After and a GraphQL error, and a WebSocket upgrade too; one
// closed frees its place.
func TestSubscription_boundPerProcess(t *testing.T) {
	l := newSubsLake(t, 2, Options{})
	first := openSSE(t, l.srv.URL, eventQuery, nil, nil)
	openSSE(t, l.srv.URL, eventQuery, nil, nil)
	l.awaitOpen(2)
	over := openSSE(t, l.srv.URL, eventQuery, nil, nil)
	var r response
	json.NewDecoder(over.resp.Body).Decode(&r)
	if over.resp.StatusCode != http.StatusServiceUnavailable || over.resp.Header.Get("Retry-After") == "" || code(r) != "UNAVAILABLE" {
		t.Fatalf("third SSE stream of two: HTTP %d, %+v", over.resp.StatusCode, r)
	}
	_, resp, err := websocket.Dial(context.Background(), wsURL(l.srv.URL), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("WebSocket past the bound: %v, %v", resp, err)
	}
	first.resp.Body.Close()
	l.awaitOpen(1)
	again := openSSE(t, l.srv.URL, eventQuery, nil, nil)
	if again.resp.StatusCode != 200 {
		t.Fatalf("a place freed: HTTP %d", again.resp.StatusCode)
	}
	l.awaitOpen(2)
}

// An SSE request body over the cap is refused 413 before anything runs.
func TestSubscription_sseBodyCapped(t *testing.T) {
	l := newSubsLake(t, 10, Options{})
	s := openSSE(t, l.srv.URL, eventQuery+strings.Repeat(" ", MaxBodyBytes), nil, nil)
	if s.resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("HTTP %d", s.resp.StatusCode)
	}
}

// Every subscription docs/api.md shows runs over SSE and hears of a release
// of the products it names.
func TestAPIDoc_subscriptionsRun(t *testing.T) {
	_, blocks := apiDoc(t)
	ran := 0
	for _, b := range blocks {
		if b.lang != "graphql" {
			continue
		}
		ops := operations(t, b)
		for i, op := range ops {
			if op.Operation != ast.Subscription {
				continue
			}
			ran++
			l := newSubsLake(t, 10, Options{}, "react", "vue")
			s := openSSE(t, l.srv.URL, operationText(b, ops, i), nil, nil)
			l.awaitOpen(1)
			l.publish(releaselake.Release{Product: "vue", Tag: "v9.0.0", Version: "9.0.0", PublishedAt: time.Now().UTC()})
			name, data := s.next(t)
			if name != "next" || !bytes.Contains(data, []byte(`"NEW"`)) || bytes.Contains(data, []byte(`"errors"`)) {
				t.Errorf("docs/api.md:%d: %s %s", b.line, name, data)
			}
		}
	}
	if ran == 0 {
		t.Fatal("docs/api.md shows no subscription")
	}
}
