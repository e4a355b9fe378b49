package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// When the lake cannot be read, serve says so in its log and /readyz; when it
// can again, the log says that too, so an operator reading it after an outage
// knows when it ended (the version served may not have changed meanwhile).
func TestServe_logsWhenTheLakeIsBack(t *testing.T) {
	dir := t.TempDir()
	logs := &syncWriter{w: &bytes.Buffer{}}
	env := map[string]string{"RELEASELAKE_LAKE": dir, "RELEASELAKE_LOG": "text"}
	m := openMain(t, logs, func(k string) string { return env[k] }, "serve", "-addr", "127.0.0.1:0", "-schedule", "off", "-poll", "50ms")
	if err := m.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	base := "http://" + m.Addr()
	ready := func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}
	eventually(t, "ready", ready)
	// The Delta log's directory becomes a file: every read of the lake fails.
	os.MkdirAll(filepath.Join(dir, "yellow"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "yellow", "_delta_log"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "unready", func() bool { return !ready() })
	time.Sleep(500 * time.Millisecond) // ~10 polls, all failing alike
	os.Remove(filepath.Join(dir, "yellow", "_delta_log"))
	eventually(t, "ready again", ready)
	eventually(t, "the log to say the lake is back", func() bool {
		return strings.Contains(logs.String(), `msg="lake reachable again"`)
	})
	// The outage is logged when it begins, not at every poll; its end says
	// how many loads failed.
	if n := strings.Count(logs.String(), `msg="load lake"`); n != 1 {
		t.Errorf("%d log lines of the failing load, want 1:\n%s", n, logs)
	}
	if m := regexp.MustCompile(`msg="lake reachable again".* failed_loads=(\d+)`).FindStringSubmatch(logs.String()); m == nil || m[1] == "1" {
		t.Errorf("the end of the outage does not count its failed loads: %v\n%s", m, logs)
	}
}

// serve faces browsers (RELEASELAKE_CORS_ORIGINS): a client that stops halfway
// through its request body, or leaves a keep-alive connection idle, does not
// hold the connection and its goroutine for ever.
func TestServe_dropsStalledConnections(t *testing.T) {
	defer func(idle, read time.Duration) { serveIdleTimeout, serveReadTimeout = idle, read }(serveIdleTimeout, serveReadTimeout)
	serveIdleTimeout, serveReadTimeout = 300*time.Millisecond, 300*time.Millisecond
	a := &app{t: t, env: map[string]string{"RELEASELAKE_LAKE": t.TempDir()}}
	base := a.serve()
	for name, send := range map[string]string{
		"body never sent": "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
		"idle keep-alive": "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(send))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.Copy(io.Discard, c) // until the server closes it
		c.Close()
		if err != nil {
			t.Errorf("%s: the connection is still open 5 s later: %v", name, err)
		}
	}
}
