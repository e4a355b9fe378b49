package graph

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingListener hands out countingConns over real connections.
type countingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []*countingConn
}

type countingConn struct {
	net.Conn
	mu     sync.Mutex
	writes int
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &countingConn{Conn: c}
	l.mu.Lock()
	l.conns = append(l.conns, cc)
	l.mu.Unlock()
	return cc, nil
}

func (l *countingListener) accepted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func (l *countingListener) writes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.conns {
		c.mu.Lock()
		n += c.writes
		c.mu.Unlock()
	}
	return n
}

// Through the real handler on loopback: a 14 KB answer, and a 6 KB one,
// leave in one write (net/http alone makes each two), on a kept-alive connection whose other
// answers, small and 304, are as net/http alone sends them.
func TestServe_answerLeavesInOneWrite(t *testing.T) {
	r := benchResolver(t)
	h := NewHandler(r, Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), CacheBytes: -1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingListener{Listener: ln}
	srv := &http.Server{Handler: h}
	go Serve(srv, counted)
	t.Cleanup(func() { srv.Close() })
	plain := httptest.NewServer(h)
	t.Cleanup(plain.Close)

	big := string(benchBody(benchQuery, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)))
	// Between net/http's 4 KiB buffer and twice it, the tail stays in that
	// buffer after the handler's write.
	medium := strings.Replace(big, "first: 50", "first: 20", 1)
	small := `{"query":"{ lake { version rows } }"}`
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	t.Cleanup(client.CloseIdleConnections)
	for _, body := range []string{big, small, medium, big} {
		before := counted.writes()
		resp, err := client.Post("http://"+ln.Addr().String()+"/graphql", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := postBody(t, plain.URL, body)
		if !bytes.Equal(got, want) {
			t.Fatalf("answer through Serve differs from net/http's own:\n%s\nwant\n%s", got, want)
		}
		if body == big && len(got) < 8<<10 {
			t.Fatalf("answer of %d bytes: the test wants one bigger than net/http's 4 KiB buffer", len(got))
		}
		if body == medium && (len(got) < 4<<10 || len(got) > 8<<10) {
			t.Fatalf("answer of %d bytes: the test wants one between 4 and 8 KiB", len(got))
		}
		if n := counted.writes() - before; n != 1 {
			t.Fatalf("answer of %d bytes left in %d writes, want 1", len(got), n)
		}
	}
	if n := counted.accepted(); n != 1 {
		t.Fatalf("%d connections, want the one kept alive", n)
	}
}

func postBody(t *testing.T, url, body string) []byte {
	t.Helper()
	resp, err := http.Post(url+"/graphql", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

// Clients that send a request and vanish (a reset, no reading) cost the
// server nothing lasting: it answers the next client whole, and the
// connections' goroutines end.
func TestServe_clientsGoneMidAnswer(t *testing.T) {
	h := NewHandler(benchResolver(t), Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), CacheBytes: -1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go Serve(srv, ln)
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()
	body := benchBody(benchQuery, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	request := fmt.Sprintf("POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body)

	baseline := runtime.NumGoroutine()
	for i := range 50 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, request)
		if i%2 == 0 {
			c.Read(make([]byte, 100)) // the answer has begun
		}
		c.(*net.TCPConn).SetLinger(0) // close with a reset
		c.Close()
	}
	resp, err := http.Post("http://"+addr+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(got, []byte(`"hasNextPage":true`)) || !bytes.HasSuffix(got, []byte("}}}")) {
		t.Fatalf("after 50 vanished clients: %d, %d bytes", resp.StatusCode, len(got))
	}
	http.DefaultClient.CloseIdleConnections()
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > baseline+2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before the vanished clients: connections were not let go", runtime.NumGoroutine(), baseline)
		}
	}
}
