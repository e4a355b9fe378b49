// Package metrics is what releaselake tells Prometheus at /metrics: GraphQL
// requests, the served index, ingest runs and per-product freshness, upstream
// cost, lake file-system operations and page pushes, beside the Go and process
// collectors. Every name is under the releaselake_ namespace; the gauges exist
// from start-up.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/releaselake/releaselake"
)

const ns = "releaselake"

// Metrics holds the collectors of one process.
type Metrics struct {
	reg *prometheus.Registry

	graphqlRequests *prometheus.CounterVec
	graphqlDuration *prometheus.HistogramVec
	graphqlSeries   graphqlSeries
	indexVersion    prometheus.Gauge
	indexRows       prometheus.Gauge
	indexLoaded     prometheus.Gauge
	runs            *prometheus.CounterVec
	runDuration     *prometheus.HistogramVec
	lastRun         *prometheus.GaugeVec
	productSuccess  *prometheus.GaugeVec
	sourceRequests  *prometheus.GaugeVec
	sourcePoints    *prometheus.GaugeVec
	rateRemaining   *prometheus.GaugeVec
	fsDuration      *prometheus.HistogramVec
	fsErrors        *prometheus.CounterVec
	pushes          *prometheus.CounterVec
	fastFallbacks   *prometheus.CounterVec
	fastPanics      prometheus.Counter
	webhooks        webhookCollectors

	mu        sync.Mutex
	latest    map[string]float64 // the newest time set on each lastRun and productSuccess series
	sourcesAt time.Time          // when the run whose source gauges are shown ended
}

// New registers every collector on a new registry.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), latest: map[string]float64{}}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.graphqlRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "graphql_requests_total",
		Help: "GraphQL requests by operation name (\"anonymous\" if none, \"other\" past the first 100 names) and outcome (ok, error, notmodified)."}, []string{"operation", "outcome"})
	m.graphqlDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "graphql_request_duration_seconds",
		Help: "Time to answer a GraphQL request.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}}, []string{"operation", "outcome"})
	m.indexVersion = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "index_version",
		Help: "Yellow table version being served; -1 before the first commit or load."})
	m.indexRows = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "index_rows", Help: "Release rows in the served index."})
	m.indexLoaded = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "index_loaded_timestamp_seconds",
		Help: "When the served index was loaded (Unix time); 0 before."})
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "ingest_runs_total",
		Help: "Ingest runs by final status (succeeded, partial, failed, cancelled)."}, []string{"status"})
	m.runDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "ingest_run_duration_seconds",
		Help: "Ingest run duration by final status.", Buckets: prometheus.ExponentialBuckets(1, 2, 12)}, []string{"status"})
	m.lastRun = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "ingest_last_run_timestamp_seconds",
		Help: "When the last ingest run of each final status ended (Unix time)."}, []string{"status"})
	m.productSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "product_last_success_timestamp_seconds",
		Help: "When each product was last crawled successfully (Unix time), for staleness alerts."}, []string{"product"})
	m.sourceRequests = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "source_requests_last_run",
		Help: "Requests each source sent upstream in the last run."}, []string{"source"})
	m.sourcePoints = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "source_points_last_run",
		Help: "Rate-limit points each source spent in the last run (GitHub)."}, []string{"source"})
	m.rateRemaining = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "source_rate_limit_remaining",
		Help: "Rate-limit points left after the last run (GitHub's hourly budget)."}, []string{"source"})
	m.fsDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "lake_fs_operation_duration_seconds",
		Help:    "Lake file-system operations (HDFS or local disk) by backend and operation.",
		Buckets: []float64{.0005, .001, .005, .01, .05, .1, .5, 1, 5}}, []string{"backend", "op"})
	m.fsErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "lake_fs_operation_errors_total",
		Help: "Lake file-system operations that failed (not counting a missing file)."}, []string{"backend", "op"})
	m.pushes = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "page_pushes_total",
		Help: "Pushes of the page snapshot to the page server by outcome (pushed, refused, failed)."}, []string{"outcome"})
	m.fastFallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "graphql_fastpath_fallbacks_total",
		Help: "Queries (or root fields) the gateway's fast or direct path handed back to gqlgen, by path (executor, direct) and reason."}, []string{"path", "reason"})
	m.fastPanics = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "graphql_fastpath_panics_total",
		Help: "Panics the gateway's fast or direct path recovered from (gqlgen then answered)."})
	for _, c := range []prometheus.Collector{m.graphqlRequests, m.graphqlDuration, m.indexVersion, m.indexRows, m.indexLoaded,
		m.runs, m.runDuration, m.lastRun, m.productSuccess, m.sourceRequests, m.sourcePoints, m.rateRemaining, m.fsDuration, m.fsErrors, m.pushes,
		m.fastFallbacks, m.fastPanics} {
		f(c)
	}
	m.webhooks = newWebhookCollectors(m.reg)
	m.indexVersion.Set(float64(releaselake.NoVersion))
	for _, s := range []string{releaselake.RunSucceeded, releaselake.RunPartial, releaselake.RunFailed, releaselake.RunCancelled} {
		m.runs.WithLabelValues(s) // present at 0 from start-up, so rate() and absent() work
	}
	for _, o := range []string{"pushed", "refused", "failed"} {
		m.pushes.WithLabelValues(o)
	}
	return m
}

// FastPathFallback records a query the gateway's fast or direct path handed
// back to gqlgen (graph.Options.FastPathFallback): path and reason come from
// a fixed set (graph/fastpath's Path… and Reason… constants); reason "panic"
// is a recovered panic, counted in the panics counter too.
func (m *Metrics) FastPathFallback(path, reason string) {
	m.fastFallbacks.WithLabelValues(path, reason).Inc()
	if reason == "panic" {
		m.fastPanics.Inc()
	}
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// GraphQL records one GraphQL request: the operation name the client gave
// ("" if none) and its outcome (graph.OutcomeOK, …).
//
// Clients choose operation names, so each is a label value only once a
// request under it has been answered without error, and only the first
// MaxOperations such names are: any other name, including one a client made
// up for a request that failed, is counted as "other". A client sending a
// new name with every request thus cannot grow the series without bound,
// here or in Prometheus.
func (m *Metrics) GraphQL(operation, outcome string, d time.Duration) {
	if operation == "" {
		operation = "anonymous"
	}
	s := m.graphqlSeries.of(m, operation, outcome)
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
}

// MaxOperations is how many operation names become label values; names
// past it are counted as "other".
const MaxOperations = 100

// graphqlSeries keeps the counter and histogram of each (operation, outcome)
// once looked up: WithLabelValues hashes the labels and takes the vector's
// lock on every call, which a request should not pay twice. It holds what
// the vectors hold, one entry per series.
type graphqlSeries struct {
	mu    sync.RWMutex
	m     map[[2]string]graphqlSeriesOf
	names map[string]bool // operation names admitted as label values
}

type graphqlSeriesOf struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func (g *graphqlSeries) of(m *Metrics, operation, outcome string) graphqlSeriesOf {
	k := [2]string{operation, outcome}
	g.mu.RLock()
	s, ok := g.m[k]
	g.mu.RUnlock()
	if ok {
		return s
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m, g.names = map[[2]string]graphqlSeriesOf{}, map[string]bool{"anonymous": true, "other": true}
	}
	if !g.names[operation] {
		if outcome == "error" || len(g.names) >= MaxOperations+2 {
			k[0] = "other"
		} else {
			g.names[operation] = true
		}
	}
	if s, ok := g.m[k]; ok {
		return s
	}
	s = graphqlSeriesOf{m.graphqlRequests.WithLabelValues(k[0], outcome), m.graphqlDuration.WithLabelValues(k[0], outcome)}
	g.m[k] = s
	return s
}

// Index records the index now served.
func (m *Metrics) Index(version int64, rows int, at time.Time) {
	m.indexVersion.Set(float64(version))
	m.indexRows.Set(float64(rows))
	m.indexLoaded.Set(float64(at.Unix()))
}

// Run records a finished ingest run.
func (m *Metrics) Run(run releaselake.Run) {
	m.runs.WithLabelValues(run.Status).Inc()
	m.runDuration.WithLabelValues(run.Status).Observe(run.EndedAt.Sub(run.StartedAt).Seconds())
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gauges(run)
}

// Seed sets the gauges of ingest runs (last run by status, last success by
// product, and each source's figures of the newest run) from runs recorded in
// the lake: those this process did not run itself, before it started or in
// another replica. A gauge only ever moves forward in time, so seeding from
// older records never hides a newer run; counters are left alone, as the runs
// they would count were counted where they ran.
func (m *Metrics) Seed(runs []releaselake.Run) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, run := range runs {
		if !run.EndedAt.IsZero() && run.Status != releaselake.RunRunning {
			m.gauges(run)
		}
	}
}

// gauges sets what run says, where it is newer than what is shown. m.mu is held.
func (m *Metrics) gauges(run releaselake.Run) {
	at := float64(run.EndedAt.Unix())
	forward := func(g *prometheus.GaugeVec, kind, label string) {
		k := kind + "\x00" + label
		if v, ok := m.latest[k]; !ok || at > v {
			m.latest[k] = at
			g.WithLabelValues(label).Set(at)
		}
	}
	forward(m.lastRun, "status", run.Status)
	for _, p := range run.Products {
		if p.OK() {
			forward(m.productSuccess, "product", p.Product)
		}
	}
	if len(run.Sources) == 0 || run.EndedAt.Before(m.sourcesAt) {
		return
	}
	m.sourcesAt = run.EndedAt
	for _, s := range run.Sources {
		m.sourceRequests.WithLabelValues(s.Kind).Set(float64(s.Requests))
		m.sourcePoints.WithLabelValues(s.Kind).Set(float64(s.Points))
		if !s.RateResetAt.IsZero() {
			m.rateRemaining.WithLabelValues(s.Kind).Set(float64(s.RateRemaining))
		}
	}
}

// FS records one lake file-system operation.
func (m *Metrics) FS(backend, op string, d time.Duration, failed bool) {
	m.fsDuration.WithLabelValues(backend, op).Observe(d.Seconds())
	errs := m.fsErrors.WithLabelValues(backend, op) // exported at 0 until the first error
	if failed {
		errs.Inc()
	}
}

// Push records a push of the page snapshot.
func (m *Metrics) Push(r releaselake.PushResult) {
	switch {
	case r.Pushed:
		m.pushes.WithLabelValues("pushed").Inc()
	case r.Status >= 400 && r.Status < 500:
		m.pushes.WithLabelValues("refused").Inc()
	default:
		m.pushes.WithLabelValues("failed").Inc()
	}
}
