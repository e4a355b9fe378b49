package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/graph"
	"github.com/releaselake/releaselake/graph/graphiql"
	"github.com/releaselake/releaselake/ingest"
	"github.com/releaselake/releaselake/ingest/sources"
	"github.com/releaselake/releaselake/ingest/webhook"
	"github.com/releaselake/releaselake/internal/cli"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/hdfs"
	"github.com/releaselake/releaselake/lake/localfs"
	"github.com/releaselake/releaselake/metrics"
	"github.com/releaselake/releaselake/page"
	"github.com/releaselake/releaselake/serving"
)

// ShutdownTimeout bounds a graceful shutdown.
const ShutdownTimeout = 10 * time.Second

// serve faces browsers: a client that stops sending must not hold a connection
// for ever. serveIdleTimeout closes a keep-alive connection left idle;
// serveReadTimeout bounds a whole request, its body included, and must outlast
// the longest answer (pushPage: 4 attempts of 30 s), because net/http cancels
// the context of a request still running when it passes.
var serveIdleTimeout, serveReadTimeout = 2 * time.Minute, 5 * time.Minute

// lakeOptions are added to the options every command opens the lake with.
// Tests set lake.WithFileRows, so that a lake of a few hundred rows is laid
// out in several data files, as one of millions is; nothing else sets it.
var lakeOptions []lake.Option

// Main is the program: its configuration and the parts wired from it. An
// end-to-end test runs it like main does, on 127.0.0.1:0 over a temp lake.
type Main struct {
	Config cli.Config
	Log    *slog.Logger

	Catalog *releaselake.Catalog
	Lake    *lake.Store
	Runner  *ingest.Runner
	Metrics *metrics.Metrics
	pages   *page.Sender // the send step; nil when RELEASELAKE_PAGE_URL is not set
	notices []string
	health  page.Health // the products' health, stale after the schedule's window

	// Engine serves the lake's newest version (serve only; nil otherwise).
	Engine *serving.Engine

	ln        net.Listener
	metricsLn *metrics.Listener // RELEASELAKE_METRICS_ADDR's; nil: /metrics is on ln
	srv       *http.Server
	schedule  *ingest.Scheduled
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	logOut    io.Writer
	transport http.RoundTripper // the sources' transport when set (demo), else sourceTransport
}

// NewMain returns a Main that logs to logOut.
func NewMain(logOut io.Writer) *Main {
	return &Main{logOut: logOut}
}

// Open wires the catalog, the lake, the sources and the ingest runner from the
// configuration ParseFlags checked. For serve it also begins reading the lake's newest
// version, which Serve's first load takes (Close stops it); it starts nothing else.
func (m *Main) Open() (err error) {
	c := &m.Config
	defer func() {
		if err != nil && m.Engine != nil {
			m.Engine.Close() // no Serve will take its preload
		}
	}()
	m.Log = newLogger(m.logOut, c.LogFormat)

	fsys, err := openFS(c.Lake)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Named("lake"), err)
	}
	m.Metrics = metrics.New()
	backend := "local"
	if strings.HasPrefix(c.Lake, "hdfs://") {
		backend = "hdfs"
	}
	fsys = lake.Instrument(fsys, func(op string, d time.Duration, failed bool) { m.Metrics.FS(backend, op, d, failed) })
	m.Lake = lake.Open(fsys, append([]lake.Option{lake.WithLogger(m.Log)}, lakeOptions...)...)
	if c.Command == "serve" {
		// The first load needs only the lake: it runs while the catalog is
		// parsed (10,000 products take ~0.3 s) and the rest is set up.
		m.Engine = serving.New(m.Lake, serving.Options{Log: m.Log, Poll: c.Poll, MaxSubscribers: c.MaxSubs,
			AsOfVersions: 4, // time travel: the most recently asked older versions stay in memory
			Loaded: func(ctx context.Context, ix *serving.Index) {
				m.Metrics.Index(ix.Version, ix.Rows(), time.Now())
				if err := m.Metrics.SeedFromLake(ctx, m.Lake.Runs, m.Catalog); err != nil {
					m.Log.Warn("metrics: could not read the run records", "err", err)
				}
			}})
		m.Engine.Preload()
		m.Metrics.Subscribers(m.Engine.Broadcaster())
	}
	if c.Catalog != "" {
		m.Catalog, err = catalog.Load(c.Catalog, sources.Kinds)
	} else {
		m.Catalog, err = catalog.Default(sources.Kinds)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", c.Named("catalog"), err)
	}

	m.Runner = &ingest.Runner{Lake: m.Lake, Catalog: m.Catalog, Log: m.Log,
		Committed: func(int64) {
			if m.Engine != nil {
				m.Engine.Signal()
			}
		},
		Finished: m.Metrics.Run,
		Timeout:  c.Deadline,
	}
	m.Runner.Compact = compactStep(m.Lake, m.Log)
	m.health.State, m.health.Changes = m.Runner.Health, page.Changes{Feed: m.Lake, Log: m.Log}
	m.openPush()
	if m.Runner.Deliver, err = webhook.Open(c.Webhooks, m.Catalog, m.Lake, m.Metrics, m.Log); err != nil {
		return fmt.Errorf("%s: %w", c.Named("webhooks"), err)
	}
	return m.addSources()
}

// openFS opens the lake root: an hdfs:// URL or a local directory (as
// internal/cli leaves RELEASELAKE_LAKE).
func openFS(root string) (lake.FS, error) {
	if !strings.HasPrefix(root, "hdfs://") {
		return localfs.New(root), nil
	}
	// HADOOP_CONF_DIR and HADOOP_USER_NAME are read by lake/hdfs; it connects
	// on first use, so serve starts (and reports) while the NameNode is down.
	fsys, err := hdfs.Open(hdfs.Config{URL: root})
	if err != nil {
		return nil, releaselake.Errorf(releaselake.Invalid, "%v", err)
	}
	return fsys, nil
}

// Ingest runs one ingest now.
func (m *Main) Ingest(ctx context.Context, trigger string, products []string) (releaselake.Run, error) {
	return m.Runner.Run(ctx, trigger, products)
}

// Serve starts listening, loading the lake, and the ingest schedule; it returns
// once the listener is open. Close stops everything.
func (m *Main) Serve(ctx context.Context) error {
	c := m.Config
	if c.Schedule != "off" {
		m.health.Window = releaselake.StaleWindow(c.Period)
	}
	var err error
	if m.ln == nil { // the demo binds it before its ingests
		if m.ln, err = net.Listen("tcp", c.Addr); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	ln := m.ln
	if c.MetricsAddr != "" {
		if m.metricsLn, err = m.Metrics.Listen(c.MetricsAddr, m.Log); err != nil {
			ln.Close()
			return fmt.Errorf("listen for metrics: %w", err)
		}
	}
	m.srv = &http.Server{Handler: m.routes(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: serveReadTimeout, IdleTimeout: serveIdleTimeout, ErrorLog: slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn)}
	bg, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.Runner.Base = bg // Close ends a run the runIngest mutation began, and waits for it
	m.wg.Add(3)
	go func() { defer m.wg.Done(); m.Runner.WatchHealth(bg, c.Poll) }()
	go func() {
		defer m.wg.Done()
		if err := graph.Serve(m.srv, ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("http server", "err", err)
		}
	}()
	go func() { defer m.wg.Done(); m.Engine.Run(bg) }()
	if c.Schedule != "off" {
		m.schedule, err = ingest.Schedule(c.Schedule, c.Location, m.Log, m.Runner.RunTick)
		if err != nil {
			m.Close()
			return err
		}
		m.wg.Add(1)
		go func() { defer m.wg.Done(); m.Runner.RunFirstIfEmpty(bg) }()
	} else {
		m.Log.Info("ingest schedule off")
	}
	m.Log.Info("serving", "addr", "http://"+ln.Addr().String(), "lake", c.Lake, "products", len(m.Catalog.Products()))
	return nil
}

// Addr returns the address Serve listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Close stops the schedule and the server, waiting at most ShutdownTimeout.
func (m *Main) Close() error {
	m.closeOnce.Do(func() {
		// End the runs first: a schedule tick waiting for a run to end (and the
		// scheduler's Stop waiting for that tick) would otherwise wait out the
		// scheduler's own 10 s before the shutdown even began.
		if m.cancel != nil {
			m.cancel()
		}
		if m.schedule != nil {
			m.schedule.Stop()
		}
		if m.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
			defer cancel()
			if err := m.srv.Shutdown(ctx); err != nil {
				// What is still in flight after ShutdownTimeout is cut off: the
				// shutdown was as graceful as it promised, not a failure.
				m.Log.Warn("shutdown: cut off requests still in flight", "after", ShutdownTimeout, "err", err)
				m.srv.Close()
			}
		}
		m.metricsLn.Close()
		if m.Engine != nil {
			m.Engine.Close()
		}
		m.wg.Wait()
		if m.Runner != nil {
			m.Runner.Wait()
		}
		if m.Lake != nil {
			if err := m.Lake.Close(); err != nil && m.closeErr == nil {
				m.closeErr = err
			}
		}
	})
	return m.closeErr
}

func (m *Main) routes() http.Handler {
	mux := http.NewServeMux()
	r := &graph.Resolver{
		Catalog: m.Catalog,
		Index:   m.Engine.Current,
		Runs:    m.Lake.Runs,
		Notices: func() []string { return append(slices.Clip(m.notices), m.Runner.Health().Notices()...) },
		RunIngest: func(ctx context.Context, products []string) (releaselake.Run, error) {
			return m.Runner.Start(ctx, "mutation", products)
		},
		PushPage: m.PushPage,
		AsOf:     m.Engine.AsOf,
		Health:   m.Runner.Health, StaleWindow: m.health.Window, Broadcast: m.Engine.Broadcaster(),
		ChangeFeed: m.Lake, VersionAsOf: m.Lake.VersionAsOf,
	}
	mux.Handle("/graphql", graph.NewHandler(r, graph.Options{Log: m.Log, AdminToken: m.Config.AdminToken, CORSOrigins: m.Config.CORSOrigins,
		Observe: m.Metrics.GraphQL, FastPathFallback: m.Metrics.FastPathFallback, MaxResponseBytes: m.Config.MaxResponse}))
	if m.metricsLn == nil {
		mux.Handle("/metrics", m.Metrics.Handler())
	}
	gi := graphiql.Handler("/graphiql", "/graphql")
	mux.Handle("/graphiql", gi)
	mux.Handle("/graphiql/", gi)
	snapshot := page.FromIndex(m.Catalog, m.Engine.Current, m.health)
	mux.Handle("/", &page.Handler{Snapshot: snapshot, Notices: r.Notices, Ingesting: m.Runner.Ingesting})
	mux.Handle("/feed.atom", &page.Feed{Snapshot: snapshot})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", m.Engine.Readyz)
	return mux
}
