package fastpath

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
)

// writeLog is a net.Conn that records each Write call.
type writeLog struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
	fail   error
	closed bool
}

func (c *writeLog) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return 0, c.fail
	}
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func (c *writeLog) Close() error { c.closed = true; return nil }

func (c *writeLog) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

func TestHeldConn_heldWritesLeaveInOne(t *testing.T) {
	log := &writeLog{}
	c := &heldConn{Conn: log}
	c.Write([]byte("before ")) // not holding: straight through
	c.holding = true
	head, body := bytes.Repeat([]byte("h"), 4096), bytes.Repeat([]byte("b"), 10000)
	c.Write(head)
	c.Write(body)
	if log.count() != 1 {
		t.Fatalf("%d writes while holding, want none yet", log.count()-1)
	}
	c.release()
	c.Write([]byte(" after"))
	if len(log.writes) != 3 || !bytes.Equal(log.writes[1], append(head, body...)) {
		t.Fatalf("writes of %d bytes each, want 7, 14096, 6", lens(log.writes))
	}
}

func TestHeldConn_overflowGoesOutWithTheWrite(t *testing.T) {
	log := &writeLog{}
	c := &heldConn{Conn: log}
	c.holding = true
	head, body, tail := bytes.Repeat([]byte("h"), 4096), bytes.Repeat([]byte("b"), heldMax), []byte("tail")
	c.Write(head)
	c.Write(body) // head + body > heldMax: both go now, body not copied
	c.Write(tail)
	c.release()
	if got := bytes.Join(log.writes, nil); !bytes.Equal(got, bytes.Join([][]byte{head, body, tail}, nil)) {
		t.Fatalf("sent %d bytes in writes of %v, want head, body, tail in order", len(got), lens(log.writes))
	}
	if last := log.writes[len(log.writes)-1]; !bytes.Equal(last, tail) {
		t.Fatalf("last write %d bytes, want the 4 held after the overflow", len(last))
	}
}

func TestHeldConn_failedWriteClosesTheConnection(t *testing.T) {
	log := &writeLog{fail: errors.New("connection reset by peer")}
	c := &heldConn{Conn: log}
	c.holding = true
	if n, err := c.Write([]byte("held")); n != 4 || err != nil {
		t.Fatalf("held write: %d, %v", n, err)
	}
	c.release()
	if !log.closed {
		t.Fatal("the connection stays open after a held write failed: net/http would answer on it again")
	}
	if _, err := c.Write([]byte("next")); !errors.Is(err, errHeldWrite) {
		t.Fatalf("write after a failed held write: %v, want errHeldWrite", err)
	}
}

func TestHeldConn_readFromWhileHoldingIsHeld(t *testing.T) {
	log := &writeLog{}
	c := &heldConn{Conn: log}
	c.holding = true
	c.Write([]byte("header "))
	c.ReadFrom(strings.NewReader("body"))
	c.release()
	if len(log.writes) != 1 || string(log.writes[0]) != "header body" {
		t.Fatalf("writes %q, want one of \"header body\"", log.writes)
	}
}

func lens(bs [][]byte) []int {
	var n []int
	for _, b := range bs {
		n = append(n, len(b))
	}
	return n
}
