package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/releaselake/releaselake"
)

func wsURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") }

// wsClient is a graphql-transport-ws client.
type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func dialWS(t *testing.T, url string, header http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	c, resp, err := websocket.Dial(context.Background(), wsURL(url), &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: t, c: c}, resp, nil
}

func (w *wsClient) send(m wsMessage) error {
	b, _ := json.Marshal(m)
	return w.c.Write(context.Background(), websocket.MessageText, b)
}

// read returns the next message other than a ping (answered with a pong).
func (w *wsClient) read() (wsMessage, error) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, b, err := w.c.Read(ctx)
		cancel()
		if err != nil {
			return wsMessage{}, err
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return wsMessage{}, err
		}
		if m.Type == "ping" {
			w.send(wsMessage{Type: "pong"})
			continue
		}
		return m, nil
	}
}

func (w *wsClient) init() {
	w.t.Helper()
	if err := w.send(wsMessage{Type: "connection_init"}); err != nil {
		w.t.Fatal(err)
	}
	if m, err := w.read(); err != nil || m.Type != "connection_ack" {
		w.t.Fatalf("after connection_init: %+v, %v", m, err)
	}
}

func (w *wsClient) subscribe(id string, vars map[string]any) {
	w.t.Helper()
	p, _ := json.Marshal(map[string]any{"query": eventQuery, "variables": vars})
	if err := w.send(wsMessage{ID: id, Type: "subscribe", Payload: p}); err != nil {
		w.t.Fatal(err)
	}
}

// Over graphql-transport-ws a connection's subscriptions hear what matches
// them; a seventeenth subscription on one connection is refused as a GraphQL
// error naming the bound, the others unharmed.
func TestSubscription_websocketDeliversAndBoundsAConnection(t *testing.T) {
	l := newSubsLake(t, 100, Options{})
	w, resp, err := dialWS(t, l.srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "graphql-transport-ws" {
		t.Fatalf("subprotocol %q", p)
	}
	w.init()
	for i := range MaxConnSubscriptions {
		w.subscribe(fmt.Sprint(i), map[string]any{"p": []string{"b"}})
	}
	l.awaitOpen(MaxConnSubscriptions)
	w.subscribe("over", nil)
	for {
		m, err := w.read()
		if err != nil {
			t.Fatal(err)
		}
		if m.ID != "over" {
			t.Fatalf("before the refusal: %+v", m)
		}
		if m.Type == "complete" {
			break
		}
		if !strings.Contains(string(m.Payload), "at most 16") {
			t.Fatalf("the 17th subscription: %s %s", m.Type, m.Payload)
		}
	}
	l.publish(releaselake.Release{Product: "b", Tag: "9.0", Version: "9.0", PublishedAt: time.Now().UTC()})
	seen := map[string]bool{}
	for range MaxConnSubscriptions {
		m, err := w.read()
		if err != nil {
			t.Fatal(err)
		}
		var r struct{ Data event }
		json.Unmarshal(m.Payload, &r)
		if m.Type != "next" || r.Data.String() != "NEW b 9.0 v2" {
			t.Fatalf("%s %s", m.Type, m.Payload)
		}
		seen[m.ID] = true
	}
	if len(seen) != MaxConnSubscriptions {
		t.Errorf("events reached %d subscriptions, want %d", len(seen), MaxConnSubscriptions)
	}
	if got := l.b.Delivered(); got != MaxConnSubscriptions {
		t.Errorf("%d events counted delivered", got)
	}
	w.send(wsMessage{ID: "0", Type: "complete"})
	l.awaitOpen(MaxConnSubscriptions - 1)
}

// A message over WSReadLimit closes the connection (1009), and so does a
// connection that sends no connection_init within the init timeout; the
// server pings an idle connection. A socket not offering
// graphql-transport-ws is refused 400.
func TestSubscription_websocketConnectionBounds(t *testing.T) {
	defer func(init, ka time.Duration) { wsInitTimeout, keepAlive = init, ka }(wsInitTimeout, keepAlive)
	wsInitTimeout, keepAlive = 300*time.Millisecond, 200*time.Millisecond
	l := newSubsLake(t, 10, Options{})

	big, _, err := dialWS(t, l.srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	big.init()
	p, _ := json.Marshal(map[string]any{"query": eventQuery + strings.Repeat(" ", WSReadLimit)})
	big.send(wsMessage{ID: "1", Type: "subscribe", Payload: p})
	if _, err := big.read(); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("a message over the limit: %v", err)
	}

	for _, protocols := range [][]string{nil, {"graphql-ws"}} {
		_, resp, err := websocket.Dial(context.Background(), wsURL(l.srv.URL), &websocket.DialOptions{Subprotocols: protocols})
		if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a WebSocket offering %q: %v, %v", protocols, resp, err)
		}
	}

	mute, _, err := dialWS(t, l.srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := mute.read(); websocket.CloseStatus(err) != websocket.StatusProtocolError {
		t.Errorf("a connection that never sent connection_init: %+v, %v", m, err)
	}

	idle, _, err := dialWS(t, l.srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	idle.init()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := idle.c.Read(ctx)
	if err != nil || !strings.Contains(string(b), `"ping"`) {
		t.Errorf("an idle connection: %s, %v", b, err)
	}
}

// A browser may open a WebSocket from the server's own origin or one that
// RELEASELAKE_CORS_ORIGINS allows; another origin is refused 403.
func TestSubscription_websocketOriginFollowsCORS(t *testing.T) {
	for _, c := range []struct {
		origins []string
		origin  string
		ok      bool
	}{
		{nil, "https://evil.example", false},
		{nil, "", true}, // not a browser
		{[]string{"https://app.example"}, "https://app.example", true},
		{[]string{"https://app.example"}, "https://evil.example", false},
		{[]string{"https://*.example"}, "https://app.example", true},
		{[]string{"*"}, "https://evil.example", true},
	} {
		l := newSubsLake(t, 10, Options{CORSOrigins: c.origins})
		h := http.Header{}
		if c.origin != "" {
			h.Set("Origin", c.origin)
		}
		_, resp, err := dialWS(t, l.srv.URL, h)
		if ok := err == nil; ok != c.ok {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			t.Errorf("origins %v, Origin %q: HTTP %d, %v; want allowed %v", c.origins, c.origin, status, err, c.ok)
		} else if !ok && resp.StatusCode != http.StatusForbidden {
			t.Errorf("origins %v, Origin %q: HTTP %d, want 403", c.origins, c.origin, resp.StatusCode)
		}
		if same := c.origin == ""; same {
			h.Set("Origin", l.srv.URL)
			if _, _, err := dialWS(t, l.srv.URL, h); err != nil {
				t.Errorf("same origin %s refused: %v", l.srv.URL, err)
			}
		}
	}
}

// On an open WebSocket, a subscription past RELEASELAKE_MAX_SUBSCRIPTIONS is
// refused as an UNAVAILABLE error; the connection and its others stay.
func TestSubscription_websocketSubscriptionPastTheProcessBound(t *testing.T) {
	l := newSubsLake(t, 2, Options{})
	w, _, err := dialWS(t, l.srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.init()
	w.subscribe("1", nil)
	w.subscribe("2", nil)
	l.awaitOpen(2)
	w.subscribe("3", nil)
	m, err := w.read()
	if err != nil || m.ID != "3" || !strings.Contains(string(m.Payload), "UNAVAILABLE") || !strings.Contains(string(m.Payload), "at most 2") {
		t.Fatalf("the third subscription of two: %+v %s, %v", m, m.Payload, err)
	}
	l.publish(releaselake.Release{Product: "a", Tag: "v9", Version: "9", PublishedAt: time.Now().UTC()})
	for heard := map[string]bool{}; len(heard) < 2; {
		m, err := w.read()
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == "3" && m.Type == "complete" {
			continue
		}
		if m.Type != "next" || m.ID != "1" && m.ID != "2" {
			t.Fatalf("after the refusal: %+v %s", m, m.Payload)
		}
		heard[m.ID] = true
	}
}
