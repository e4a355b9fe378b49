package metrics

import "github.com/prometheus/client_golang/prometheus"

// Subscribers is what the subscription broadcaster tells of itself
// (serving.Broadcaster).
type Subscribers interface {
	Open() int           // subscriptions open now
	Delivered() int64    // events sent to subscribers' clients since start
	DroppedTotal() int64 // subscribers dropped for falling behind since start
}

// Subscribers registers the series of s: releaselake_subscriptions_open,
// releaselake_subscription_events_delivered_total and
// releaselake_subscriptions_dropped_total. Call it once.
func (m *Metrics) Subscribers(s Subscribers) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "subscriptions_open",
			Help: "GraphQL subscriptions open (SSE and WebSocket), at most RELEASELAKE_MAX_SUBSCRIPTIONS."},
			func() float64 { return float64(s.Open()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Name: "subscription_events_delivered_total",
			Help: "Events (a release published or changed) sent to subscribers."},
			func() float64 { return float64(s.Delivered()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Name: "subscriptions_dropped_total",
			Help: "Subscriptions ended because their client fell 16 lake versions behind."},
			func() float64 { return float64(s.DroppedTotal()) }),
	)
}
