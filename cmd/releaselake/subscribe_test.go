package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// subsPoll is how often the replicas of the subscription test look for
// commits by others: a release must reach their subscribers within it.
const subsPoll = 2 * time.Second

const subsQuery = `subscription { releasePublished(products: ["kafka"]) { change version release { product { key } tag } } }`

// subEvent is what a subscriber received, and when.
type subEvent struct {
	at   time.Time
	text string // "NEW kafka 9.9.9"
	err  error
}

type published struct {
	Data struct {
		ReleasePublished struct {
			Change  string
			Release struct {
				Product struct{ Key string }
				Tag     string
			}
		}
	}
}

func (p published) String() string {
	e := p.Data.ReleasePublished
	return e.Change + " " + e.Release.Product.Key + " " + e.Release.Tag
}

// subscribeSSE subscribes over graphql-sse; events arrive on the channel.
func subscribeSSE(t *testing.T, base string) <-chan subEvent {
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(`{"query":`+jsonString(subsQuery)+`}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("SSE subscription: HTTP %d", resp.StatusCode)
	}
	out := make(chan subEvent, 10)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var p published
				err := json.Unmarshal([]byte(data), &p)
				out <- subEvent{at: time.Now(), text: p.String(), err: err}
			}
		}
	}()
	return out
}

// subscribeWS subscribes over graphql-transport-ws; events arrive on the channel.
func subscribeWS(t *testing.T, base string) <-chan subEvent {
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	send := func(s string) {
		if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	send(`{"type":"connection_init"}`)
	if _, b, err := c.Read(ctx); err != nil || !bytes.Contains(b, []byte("connection_ack")) {
		t.Fatalf("connection_init: %s, %v", b, err)
	}
	send(`{"id":"1","type":"subscribe","payload":{"query":` + jsonString(subsQuery) + `}}`)
	out := make(chan subEvent, 10)
	go func() {
		defer close(out)
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			var m struct {
				Type    string
				Payload json.RawMessage
			}
			json.Unmarshal(b, &m)
			switch m.Type {
			case "ping":
				c.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`))
			case "next":
				var p published
				err := json.Unmarshal(m.Payload, &p)
				out <- subEvent{at: time.Now(), text: p.String(), err: err}
			}
		}
	}()
	return out
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

// The subscription through the real server, over both transports: two serve
// replicas on one lake, a subscriber of each transport on each. A release
// committed by an ingest process reaches all four within one poll interval
// of its commit; one committed by a runIngest mutation on replica A reaches
// B's too, B having committed nothing. The shutdown ends the streams
// rather than wait for them.
func TestSubscription_newReleaseReachesSubscribersOfEveryReplica(t *testing.T) {
	gh := githubtest.NewServer(t)
	catalog := filepath.Join(t.TempDir(), "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: flask\n    github: pallets/flask\n  - key: kafka\n    github: apache/kafka\n    tags: true\n"), 0o644)
	env := map[string]string{"RELEASELAKE_LAKE": filepath.Join(t.TempDir(), "lake"), "RELEASELAKE_CATALOG": catalog,
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL, "RELEASELAKE_ADMIN_TOKEN": "s3cret"}
	a := &app{t: t, env: env}
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("first ingest exit %d:\n%s", code, out)
	}
	var replicas []*Main
	var bases []string
	for range 2 {
		m := serveReplica(t, a)
		replicas, bases = append(replicas, m), append(bases, "http://"+m.Addr())
	}
	names := []string{"A over SSE", "A over WebSocket", "B over SSE", "B over WebSocket"}
	subs := []<-chan subEvent{subscribeSSE(t, bases[0]), subscribeWS(t, bases[0]), subscribeSSE(t, bases[1]), subscribeWS(t, bases[1])}
	for _, m := range replicas {
		for deadline := time.Now().Add(10 * time.Second); m.Engine.Broadcaster().Open() != 2; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d subscriptions open on a replica, want 2", m.Engine.Broadcaster().Open())
			}
		}
	}
	// await checks that every subscriber hears want within one poll interval
	// of the commit (and the time the replica took to load it, which the
	// replicas' log gives: tens of milliseconds here).
	await := func(want string, committed time.Time) {
		t.Helper()
		for i, c := range subs {
			select {
			case ev, ok := <-c:
				if !ok || ev.err != nil || ev.text != want {
					t.Fatalf("%s: %q (%v, open %v), want %q", names[i], ev.text, ev.err, ok, want)
				}
				lag := ev.at.Sub(committed)
				t.Logf("%s: %s %s after the commit (poll %s)", names[i], want, lag.Round(time.Millisecond), subsPoll)
				// The lags logged are within one poll interval (~1.95 s of 2 s
				// here); the bound allows a loaded CI machine a late poll and a
				// slow load, and still fails a replica that waits for a later
				// version or never polls.
				if lag > 2*subsPoll+2*time.Second {
					t.Errorf("%s heard %s %s after the commit: more than two poll intervals of %s", names[i], want, lag, subsPoll)
				}
			case <-time.After(subsPoll + 10*time.Second):
				t.Fatalf("%s heard nothing of %s", names[i], want)
			}
		}
	}

	// A release committed by another process: both replicas learn of it by polling.
	gh.AddTag("apache/kafka", githubtest.Tag{Name: "9.9.9", Date: time.Now().UTC().Truncate(time.Second)})
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	head, err := replicas[0].Lake.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	snap, err := replicas[0].Lake.SnapshotAt(context.Background(), head)
	if err != nil {
		t.Fatal(err)
	}
	await("NEW kafka 9.9.9", snap.CommittedAt)

	// A release committed by replica A (runIngest): B did not commit, and delivers too.
	gh.AddTag("apache/kafka", githubtest.Tag{Name: "9.9.10", Date: time.Now().UTC().Truncate(time.Second)})
	req, _ := http.NewRequest(http.MethodPost, bases[0]+"/graphql", strings.NewReader(`{"query":"mutation { runIngest { id } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var committed time.Time
	for deadline := time.Now().Add(30 * time.Second); committed.IsZero(); time.Sleep(5 * time.Millisecond) {
		if h, err := replicas[0].Lake.Head(context.Background()); err == nil && h > head {
			s, err := replicas[0].Lake.SnapshotAt(context.Background(), h)
			if err != nil {
				t.Fatal(err)
			}
			committed = s.CommittedAt
		}
		if time.Now().After(deadline) {
			t.Fatal("runIngest committed nothing")
		}
	}
	await("NEW kafka 9.9.10", committed)

	// Metrics: the subscriptions open and the events delivered.
	resp, err = http.Get(bases[1] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{"releaselake_subscriptions_open 2", "releaselake_subscription_events_delivered_total 4"} {
		if !bytes.Contains(metrics, []byte(line+"\n")) {
			t.Errorf("/metrics lacks %q", line)
		}
	}

	// The shutdown ends each stream (SSE's completes, WebSocket's closes)
	// rather than wait ShutdownTimeout for them.
	start := time.Now()
	for _, m := range replicas {
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took >= ShutdownTimeout {
		t.Errorf("the shutdown took %s with subscribers: it waited for the streams", took)
	}
	for i, c := range subs {
		for ev := range c {
			t.Errorf("%s after the shutdown: %+v", names[i], ev)
		}
	}
}

// RELEASELAKE_MAX_SUBSCRIPTIONS must be a number of at least 1: serve says
// so and exits 2.
func TestRun_badMaxSubscriptions(t *testing.T) {
	for _, v := range []string{"0", "-5", "many"} {
		a := &app{t: t, env: map[string]string{"RELEASELAKE_MAX_SUBSCRIPTIONS": v}}
		code, out := a.run("serve", "-lake", t.TempDir())
		if want := `RELEASELAKE_MAX_SUBSCRIPTIONS "` + v + `": want a number of at least 1`; code != 2 || !strings.Contains(out, want) {
			t.Errorf("%q: exit %d, want 2 with %q:\n%s", v, code, want, out)
		}
	}
}

// serveReplica starts serve on a's lake, polling every subsPoll, with no
// schedule, and waits until it has loaded the lake.
func serveReplica(t *testing.T, a *app) *Main {
	t.Helper()
	m := openMain(t, io.Discard, a.getenv, "serve", "-addr", "127.0.0.1:0", "-schedule", "off", "-poll", subsPoll.String())
	if err := m.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := m.Engine.Ready(); err == nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatal("serve is not ready")
		}
	}
}

// A stream outlives the server's read timeout, which bounds reading a
// request, not answering it: net/http clears the read deadline once an SSE
// request's body is read, and a WebSocket, hijacked, is free of it.
func TestSubscription_streamsOutliveTheReadTimeout(t *testing.T) {
	defer func(d time.Duration) { serveReadTimeout = d }(serveReadTimeout)
	serveReadTimeout = 300 * time.Millisecond
	gh := githubtest.NewServer(t)
	catalog := filepath.Join(t.TempDir(), "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: kafka\n    github: apache/kafka\n    tags: true\n"), 0o644)
	a := &app{t: t, env: map[string]string{"RELEASELAKE_LAKE": filepath.Join(t.TempDir(), "lake"), "RELEASELAKE_CATALOG": catalog,
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL}}
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	m := serveReplica(t, a)
	base := "http://" + m.Addr()
	subs := []<-chan subEvent{subscribeSSE(t, base), subscribeWS(t, base)}
	time.Sleep(3 * serveReadTimeout) // the read timeout passes
	gh.AddTag("apache/kafka", githubtest.Tag{Name: "9.9.9", Date: time.Now().UTC().Truncate(time.Second)})
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	for i, c := range subs {
		select {
		case ev, ok := <-c:
			if !ok || ev.text != "NEW kafka 9.9.9" {
				t.Errorf("stream %d after the read timeout: %+v (open %v)", i, ev, ok)
			}
		case <-time.After(subsPoll + 10*time.Second):
			t.Errorf("stream %d heard nothing", i)
		}
	}
}
