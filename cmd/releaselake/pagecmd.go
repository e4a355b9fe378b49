package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/page"
	"github.com/releaselake/releaselake/serving"
)

// openPush wires the send step when a page server is configured.
func (m *Main) openPush() {
	c := m.Config
	if c.PageURL == "" {
		return
	}
	m.pages = &page.Sender{
		Pusher:   &page.Pusher{URL: c.PageURL, Secret: []byte(c.PageSecret), Observe: m.Metrics.Push},
		State:    m.Lake,
		Snapshot: m.pageSnapshot,
	}
	m.Runner.Send = m.pages.Send
}

// pageSnapshot returns the page snapshot of the newest committed version, nil
// if there is none. It reads the lake unless the served index is that version.
func (m *Main) pageSnapshot(ctx context.Context) (*page.Snapshot, error) {
	served := func() *serving.Index { return nil }
	if m.Engine != nil {
		served = m.Engine.Current
	}
	return page.Latest(ctx, m.Catalog, m.Lake, served, m.health)
}

// PushPage pushes the current snapshot to the page server now, whether or not
// it was pushed before (the pushPage mutation, `releaselake push`). The error
// is non-nil only when no push could be made: no page server configured, nothing
// committed yet (both class Unavailable), or the lake unreadable. A push the page
// server refused or never received is a result with Pushed false; the next
// ingest run tries again.
func (m *Main) PushPage(ctx context.Context) (releaselake.PushResult, error) {
	if m.pages == nil {
		return releaselake.PushResult{Version: releaselake.NoVersion},
			releaselake.Errorf(releaselake.Unavailable, "no page server configured: set RELEASELAKE_PAGE_URL and RELEASELAKE_PAGE_SECRET")
	}
	res, err := m.pages.Push(ctx)
	if err != nil {
		return res, err
	}
	if res.Pushed {
		m.Log.Info("page pushed", "version", res.Version, "message", res.Message)
	} else {
		m.Log.Warn("page push failed", "version", res.Version, "status", res.Status, "message", res.Message)
	}
	return res, nil
}

func runPush(ctx context.Context, m *Main, stdout io.Writer) int {
	res, err := m.PushPage(ctx)
	if err != nil {
		fmt.Fprintf(stdout, "push: %v\n", releaselake.MessageOf(err))
		return 1
	}
	if !res.Pushed {
		fmt.Fprintf(stdout, "push of version %d failed: %s\n", res.Version, res.Message)
		return 1
	}
	fmt.Fprintf(stdout, "pushed version %d: %s\n", res.Version, res.Message)
	return 0
}

// newLogger logs to out as format says: json, text, or auto (text on a terminal,
// JSON otherwise, as in a container).
func newLogger(out io.Writer, format string) *slog.Logger {
	if format == "auto" {
		format = "json"
		if f, ok := out.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(out, nil))
	}
	return slog.New(slog.NewTextHandler(out, nil))
}

// ServePage starts the page server (`releaselake page`): it listens, resumes
// from the newest snapshot in RELEASELAKE_PAGE_DIR, and returns. Close stops it.
func (m *Main) ServePage(ctx context.Context) error {
	if m.Log == nil {
		m.Log = newLogger(m.logOut, m.Config.LogFormat)
	}
	c := m.Config
	store, err := page.OpenStore(c.PageDir, page.DefaultKeep)
	if err != nil {
		return err
	}
	srv, err := page.NewServer([]byte(c.PageSecret), store, m.Log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	m.ln = ln
	// The page server faces the internet: bound every phase of a request.
	m.srv = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn)}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("http server", "err", err)
		}
	}()
	version := releaselake.NoVersion
	if s := srv.Current(); s != nil {
		version = s.Version
	}
	m.Log.Info("page server", "addr", "http://"+ln.Addr().String(), "dir", c.PageDir, "version", version)
	return nil
}

func runPage(ctx context.Context, m *Main, _ io.Writer) int {
	m.Log = newLogger(m.logOut, m.Config.LogFormat)
	return serveUntilDone(ctx, m, "page", m.ServePage)
}
