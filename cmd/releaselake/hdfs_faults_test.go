package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake/hdfs/hdfstest"
)

// A DataNode dies in the middle of an ingest (while it crawls GitHub): the run
// still commits, or fails cleanly and the next one commits.
func TestHDFS_dataNodeStoppedMidIngest(t *testing.T) {
	cluster := hdfstest.Control(t)
	gh := githubtest.NewServer(t)
	lakeURL := hdfstest.Lake(t)

	// The fake GitHub, behind a proxy that stops DataNode 0 on the run's first request.
	target, _ := url.Parse(gh.URL)
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	var once sync.Once
	front := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { cluster.StopDataNode(0) })
		proxy.ServeHTTP(w, r)
	}))
	a := &app{t: t, lake: lakeURL, env: map[string]string{
		"RELEASELAKE_LAKE": lakeURL, "GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": front + target.Path,
	}}
	// The run commits version 0, or version 1 if its log entry for version 0
	// was written through the dead DataNode: it is then replaced by a repair
	// entry once the NameNode has recovered it.
	committed := regexp.MustCompile(`, version [01], `)
	start := time.Now()
	code, out := a.run("ingest")
	switch {
	case code == 0 && committed.MatchString(out):
		t.Logf("the run committed with DataNode 0 dead, in %s", time.Since(start).Round(time.Millisecond))
	case code == 1:
		t.Logf("the run failed cleanly with DataNode 0 dead:\n%s", out)
		if snap := snapshotOf(t, lakeURL); len(snap.Releases) != 0 {
			t.Fatalf("failed run left the table at v%d with %d rows", snap.Version, len(snap.Releases))
		}
		if code, out = a.run("ingest"); code != 0 || !committed.MatchString(out) {
			t.Fatalf("the next run: exit %d\n%s", code, out)
		}
	default:
		t.Fatalf("ingest with a DataNode dying: exit %d\n%s", code, out)
	}
	if snap := snapshotOf(t, lakeURL); snap.Version < 0 || len(snap.Releases) == 0 {
		t.Fatalf("table = v%d with %d rows", snap.Version, len(snap.Releases))
	}
	cluster.StartDataNode(0)
}

// The NameNode goes down: serve keeps answering from memory and /readyz says
// the lake is unreachable; an ingest fails with a clear error; once the
// NameNode is back the next ingest commits and serve is ready again.
func TestHDFS_nameNodeDown(t *testing.T) {
	cluster := hdfstest.Control(t)
	gh := githubtest.NewServer(t)
	lakeURL := hdfstest.Lake(t)
	a := &app{t: t, lake: lakeURL, env: map[string]string{
		"RELEASELAKE_LAKE": lakeURL, "GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL,
	}}
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest: exit %d\n%s", code, out)
	}
	base := a.serve()
	_, total := allReleases(t, base, "kafka", nil)

	cluster.StopNameNode()
	status, body := waitReadyz(t, base, func(code int, _ string) bool { return code == http.StatusServiceUnavailable })
	if !strings.Contains(body, "lake unreachable") {
		t.Errorf("/readyz with the NameNode down = %d %q, want 503 saying the lake is unreachable", status, body)
	}
	if _, n := allReleases(t, base, "kafka", nil); n != total {
		t.Errorf("with the NameNode down GraphQL answers %d kafka releases, want %d from memory", n, total)
	}
	gh.AddTag("apache/kafka", githubtest.Tag{Name: "9.9.9", Date: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)})
	code, out := a.run("ingest")
	if code != 1 || !strings.Contains(out, "NameNode") {
		t.Errorf("ingest with the NameNode down: exit %d, want 1 with an error naming the NameNode:\n%s", code, out)
	}

	cluster.StartNameNode()
	var ok bool
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if code, out = a.run("ingest"); code == 0 {
			ok = true
			break
		}
	}
	if !ok || !strings.Contains(out, "version 1") {
		t.Fatalf("ingest after the NameNode came back: exit %d\n%s", code, out)
	}
	waitReadyz(t, base, func(code int, body string) bool {
		return code == http.StatusOK && strings.Contains(body, "version 1")
	})
	if _, n := allReleases(t, base, "kafka", nil); n != total+1 {
		t.Errorf("after recovery GraphQL answers %d kafka releases, want %d", n, total+1)
	}
}

// waitReadyz polls /readyz until done says so (at most a minute) and returns
// the last answer.
func waitReadyz(t *testing.T, base string, done func(code int, body string) bool) (int, string) {
	t.Helper()
	var code int
	var body string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		code, body = resp.StatusCode, string(b)
		if done(code, body) {
			return code, body
		}
	}
	t.Fatalf("/readyz never got there; last %d %q", code, body)
	return code, body
}

// newTestServer serves h on 127.0.0.1 until the test ends and returns its URL.
func newTestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := &http.Server{Handler: h}
	ln, err := listenLocal()
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func listenLocal() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
