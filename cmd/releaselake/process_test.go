package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// binary builds the command once per test run.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "releaselake-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "releaselake")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{string(out)}
	}
	return bin, nil
})

type buildError struct{ out string }

func (e *buildError) Error() string { return "go build: " + e.out }

// Run as a process, serve and page answer SIGTERM with a graceful shutdown and
// exit 0, as Kubernetes expects, also when a request is still in flight after
// the 10 s the shutdown waits for it (a client that stalled its body).
func TestProcess_sigtermExitsZero(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"serve", "page"} {
		t.Run(cmd, func(t *testing.T) {
			p, base, logs := startProcess(t, bin, cmd)
			resp, err := http.Get(base + "/healthz")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("healthz: %v", err)
			}
			resp.Body.Close()
			stalled, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer stalled.Close()
			fmt.Fprintf(stalled, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", map[string]string{"serve": "/graphql", "page": "/api/snapshot"}[cmd])
			time.Sleep(100 * time.Millisecond) // the server is reading the body
			sigterm(t, p, logs)
		})
	}
}

// sigterm sends p SIGTERM and returns how long it took to exit 0; it fails the
// test if p exits otherwise or is still running 15 s later.
// startProcess runs the binary's cmd (serve or page) on 127.0.0.1:0 in a temp
// directory and returns it, the base URL it says it listens on, and its log.
func startProcess(t *testing.T, bin, cmd string) (*exec.Cmd, string, *syncWriter) {
	t.Helper()
	dir := t.TempDir()
	p := exec.Command(bin, cmd, "-addr", "127.0.0.1:0")
	p.Dir = dir
	p.Env = append(os.Environ(), "RELEASELAKE_SCHEDULE=off", "RELEASELAKE_LOG=text", "RELEASELAKE_PAGE_SECRET=s", "RELEASELAKE_PAGE_DIR="+filepath.Join(dir, "page"))
	stderr, _ := p.StderrPipe()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Process.Kill() })
	addr := make(chan string, 1)
	logs := &syncWriter{w: &bytes.Buffer{}}
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`addr=(http://127\.0\.0\.1:\d+)`)
		for sc.Scan() {
			logs.Write([]byte(sc.Text() + "\n"))
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case base := <-addr:
		return p, base, logs
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not say where it listens:\n%s", cmd, logs.String())
	}
	return nil, "", nil
}

// The first SIGTERM (or SIGINT) shuts down gracefully, for up to 10 s; a
// second one ends the process at once, as a user pressing Ctrl-C twice
// expects (the lake is safe at any moment: a commit is one atomic step).
func TestProcess_secondSignalEndsAtOnce(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	p, base, logs := startProcess(t, bin, "serve")
	stalled, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	// A request whose body never comes holds the graceful shutdown for 10 s.
	fmt.Fprintf(stalled, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	time.Sleep(100 * time.Millisecond)
	p.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.Wait() }()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "shutting down"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no graceful shutdown began:\n%s", logs)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("exited (%v) before the stalled request's 10 s were up:\n%s", err, logs)
	case <-time.After(300 * time.Millisecond):
	}
	start := time.Now()
	p.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
			t.Errorf("after a second SIGTERM: %v, want the process ended by the signal", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after a second SIGTERM (the first came %v before it):\n%s", time.Since(start), logs)
	}
}

func sigterm(t *testing.T, p *exec.Cmd, logs fmt.Stringer) time.Duration {
	t.Helper()
	start := time.Now()
	p.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%v exited with %v after SIGTERM:\n%s", p.Args, err, logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("%v still running 15 s after SIGTERM:\n%s", p.Args, logs)
	}
	return time.Since(start)
}

// The tokens and the page secret never reach the logs or the output of a full
// ingest and serve, failures included.
func TestLogs_neverShowSecrets(t *testing.T) {
	gh := githubtest.NewServer(t, githubtest.WithToken("ghp_s3cretTOKENvalue0000000000000000000"))
	dir := t.TempDir()
	secrets := map[string]string{
		"GITHUB_TOKEN":            gh.Token,
		"RELEASELAKE_ADMIN_TOKEN": "admin-t0ken-value-123456",
		"RELEASELAKE_PAGE_SECRET": "page-secret-value-abcdef",
	}
	env := map[string]string{"RELEASELAKE_LAKE": filepath.Join(dir, "lake"), "GITHUB_GRAPHQL_URL": gh.URL,
		"RELEASELAKE_PAGE_URL": "http://127.0.0.1:1", "RELEASELAKE_LOG": "json"}
	for k, v := range secrets {
		env[k] = v
	}
	var out bytes.Buffer
	getenv := func(k string) string { return env[k] }
	Run(context.Background(), []string{"ingest"}, getenv, &out, &out) // the push fails: logged
	m := NewMain(&out)
	if err := m.Config.ParseFlags("serve", []string{"-addr", "127.0.0.1:0", "-schedule", "off"}, getenv, &out); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	if err := m.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
	base := "http://" + m.Addr()
	for _, auth := range []string{"", "Bearer wrong", "Bearer " + secrets["RELEASELAKE_ADMIN_TOKEN"]} {
		req, _ := http.NewRequest("POST", base+"/graphql", strings.NewReader(`{"query":"mutation { pushPage { pushed message } }"}`))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(&out, resp.Body)
			resp.Body.Close()
		}
	}
	m.Close()
	if out.Len() == 0 {
		t.Fatal("no output to check")
	}
	for name, v := range secrets {
		if strings.Contains(out.String(), v) {
			t.Errorf("%s appears in the logs or output", name)
		}
	}
}

// SIGTERM while an ingest waits on a slow upstream, and a schedule tick waits
// for that ingest to end: serve still exits 0 within the graceful shutdown's
// 10 s, the run record says how the run ended, and the ingest lease is
// released, so the next replica's ingest need not wait for it to expire.
func TestProcess_sigtermDuringIngest(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	asked := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- struct{}{}:
		default:
		}
		<-r.Context().Done() // upstream never answers
	}))
	defer slow.Close()
	dir := t.TempDir()
	catalog := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: pandas\n    pypi: pandas\n"), 0o644)
	p := exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-schedule", "* * * * * *") // a tick every second
	p.Dir = dir
	p.Env = append(os.Environ(), "RELEASELAKE_LOG=text", "RELEASELAKE_LAKE="+filepath.Join(dir, "lake"),
		"RELEASELAKE_CATALOG="+catalog, "RELEASELAKE_PYPI_URL="+slow.URL)
	logs := &syncWriter{w: &bytes.Buffer{}}
	p.Stderr = logs
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Process.Kill()
	select { // the first ingest of an empty lake begins at start
	case <-asked:
	case <-time.After(20 * time.Second):
		t.Fatalf("no ingest asked upstream:\n%s", logs.String())
	}
	time.Sleep(1500 * time.Millisecond) // a tick comes and waits for the first ingest
	if took := sigterm(t, p, logs); took > 10*time.Second {
		t.Errorf("shutdown took %v, more than 10 s", took)
	}
	store := lake.Open(localfs.New(filepath.Join(dir, "lake")))
	defer store.Close()
	ctx := context.Background()
	runs, err := store.Runs(ctx, 5)
	if err != nil || len(runs) != 1 || runs[0].Status == releaselake.RunRunning {
		t.Errorf("run records %+v (%v), want one that ended", runs, err)
	}
	l, err := store.AcquireLease(ctx, "ingest", "next-replica", time.Minute)
	if err != nil {
		t.Fatalf("the ingest lease is still held after shutdown: %v\n%s", err, logs.String())
	}
	l.Release(ctx)
}
