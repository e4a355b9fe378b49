package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Listener serves /metrics alone on an address of its own
// (RELEASELAKE_METRICS_ADDR), so that a scraper on a private network reads
// it and the public listener does not serve it (docs/security.md).
type Listener struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// Listen starts serving m's /metrics on addr; Close stops it.
func (m *Metrics) Listen(addr string, log *slog.Logger) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	l := &Listener{ln: ln, done: make(chan struct{}),
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute}}
	go func() {
		defer close(l.done)
		if err := l.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", "http://"+ln.Addr().String()+"/metrics")
	return l, nil
}

// Addr is the address the listener is on.
func (l *Listener) Addr() string { return l.ln.Addr().String() }

// Close stops the listener, waiting for scrapes in flight up to a second.
func (l *Listener) Close() error {
	if l == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := l.srv.Shutdown(ctx)
	<-l.done
	return err
}
