package fastpath

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
)

// Serve serves srv on ln with the gateway's connections: while the gateway
// writes an answer, a connection holds what net/http writes to it and sends
// it all with one write call at the end, where net/http's 4 KiB buffer would
// make two or more (docs/architecture.md). Everything else net/http sends
// passes straight through. srv.ConnContext, if set, still runs.
func Serve(srv *http.Server, ln net.Listener) error {
	return srv.Serve(HoldConns(srv, ln))
}

// HoldConns wraps ln's connections in heldConns and has srv put each in its
// requests' contexts, where WriteWhole finds it (Serve uses it).
func HoldConns(srv *http.Server, ln net.Listener) net.Listener {
	next := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if next != nil {
			ctx = next(ctx, c)
		}
		if hc, ok := c.(*heldConn); ok {
			ctx = context.WithValue(ctx, connKey{}, hc)
		}
		return ctx
	}
	return heldListener{ln}
}

type connKey struct{}

type heldListener struct{ net.Listener }

func (l heldListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &heldConn{Conn: c}, nil
}

// heldConn is a connection that can hold its writes. net/http writes to an
// HTTP/1 connection from the goroutine serving it, the one the handler runs
// on, so hold, Write and release need no lock. (Serve sets up no TLS, so no
// HTTP/2, whose frames are written from a goroutine of their own.)
type heldConn struct {
	net.Conn
	holding bool
	held    *[]byte // from heldPool while holding; nil otherwise
	err     error   // a held write that failed: every later write fails too
}

// heldMax is what a connection holds at most: past it, what is held goes out
// with the write that would overflow it (one writev), so a large answer costs
// no copy and no memory beyond a pooled buffer per answer in flight.
const heldMax = 32 << 10

var heldPool = sync.Pool{New: func() any { b := make([]byte, 0, heldMax); return &b }}

// heldConnOf returns the connection of ctx (from Serve), nil if it has none
// (another server, a test recorder).
func heldConnOf(ctx context.Context) *heldConn {
	c, _ := ctx.Value(connKey{}).(*heldConn)
	return c
}

// WriteWhole writes an answer's header and body; on a connection from Serve
// they leave in one write.
func WriteWhole(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	hc := heldConnOf(r.Context())
	held := hc.hold()
	w.WriteHeader(status)
	w.Write(body)
	if held {
		// net/http keeps up to 4 KiB of the answer in its buffer until the
		// handler returns: flushed now, it joins what is held.
		http.NewResponseController(w).Flush()
		hc.release()
	}
}

// hold makes c hold its writes until release, which sends them in one write;
// false (and nothing to release) for a nil c or one holding already.
func (c *heldConn) hold() bool {
	if c == nil || c.holding {
		return false
	}
	c.holding = true
	return true
}

func (c *heldConn) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if !c.holding {
		return c.Conn.Write(p)
	}
	if c.held == nil {
		c.held = heldPool.Get().(*[]byte)
	}
	if len(*c.held)+len(p) <= heldMax {
		*c.held = append(*c.held, p...)
		return len(p), nil
	}
	bufs := net.Buffers{*c.held, p}
	_, err := bufs.WriteTo(c.Conn)
	*c.held = (*c.held)[:0]
	if err != nil {
		c.fail(err)
		return 0, err
	}
	return len(p), nil
}

// release sends what is held and stops holding.
func (c *heldConn) release() {
	c.holding = false
	if c.held == nil {
		return
	}
	b := c.held
	c.held = nil
	if len(*b) > 0 && c.err == nil {
		if _, err := c.Conn.Write(*b); err != nil {
			c.fail(err)
		}
	}
	*b = (*b)[:0]
	heldPool.Put(b)
}

// fail remembers a failed write. net/http was told earlier writes succeeded,
// so the connection is closed: its next read fails and net/http lets it go
// instead of answering the next request on a connection that lost bytes.
func (c *heldConn) fail(err error) {
	c.err = errors.Join(errHeldWrite, err)
	c.Conn.Close()
}

var errHeldWrite = errors.New("held write")

// ReadFrom and CloseWrite keep what *net.TCPConn offers net/http (sendfile,
// and the half-close before a connection ends) through the wrapper.
func (c *heldConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok && !c.holding && c.err == nil {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c}, r)
}

func (c *heldConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// writerOnly hides heldConn's ReadFrom from io.Copy, which would call it again.
type writerOnly struct{ io.Writer }
