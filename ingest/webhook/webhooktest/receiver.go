// Package webhooktest is a webhook receiver for tests: an HTTP server on
// 127.0.0.1 that verifies each delivery's signature as docs/webhooks.md tells
// receivers to, keeps what it received, and can be taken down and brought
// back up on the same address.
package webhooktest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/webhook"
	"github.com/releaselake/releaselake/page"
)

// Delivery is one POST the receiver took.
type Delivery struct {
	ID   string // the X-Releaselake-Delivery header
	Body []byte
	// SignatureErr is page.Verify's verdict on the signature (nil: verified);
	// always nil for a receiver without a secret.
	SignatureErr error
}

// Receiver is a webhook receiver.
type Receiver struct {
	URL    string
	secret []byte
	addr   string
	srv    *http.Server
	mu     sync.Mutex
	got    []Delivery
	fail   int // answer 503 to this many more deliveries
}

// FailNext makes the receiver take the next n deliveries but answer 503 Service Unavailable.
func (r *Receiver) FailNext(n int) {
	r.mu.Lock()
	r.fail = n
	r.mu.Unlock()
}

// New starts a receiver on 127.0.0.1; secret, if not empty, is the target's.
// It stops when the test ends.
func New(t testing.TB, secret string) *Receiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Receiver{secret: []byte(secret), addr: ln.Addr().String()}
	r.URL = "http://" + r.addr + "/hook"
	r.serve(ln)
	t.Cleanup(r.Down)
	return r
}

func (r *Receiver) serve(ln net.Listener) {
	r.srv = &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 5 * time.Second}
	go r.srv.Serve(ln)
}

func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	d := Delivery{ID: req.Header.Get(webhook.HeaderDelivery), Body: body}
	if len(r.secret) > 0 {
		d.SignatureErr = page.Verify(r.secret, req.Header.Get(page.HeaderTimestamp), req.Header.Get(page.HeaderSignature), body, time.Now())
	}
	r.mu.Lock()
	r.got = append(r.got, d)
	fail := r.fail > 0
	r.fail--
	r.mu.Unlock()
	if fail {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	if d.SignatureErr != nil {
		http.Error(w, d.SignatureErr.Error(), http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Down closes the receiver: deliveries are refused a connection.
func (r *Receiver) Down() {
	if r.srv != nil {
		r.srv.Close()
		r.srv = nil
	}
}

// Up listens again on the address it had.
func (r *Receiver) Up(t testing.TB) {
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		t.Fatal(fmt.Errorf("listen again on %s: %w", r.addr, err))
	}
	r.serve(ln)
}

// Deliveries returns what the receiver took so far, oldest first.
func (r *Receiver) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.got...)
}
