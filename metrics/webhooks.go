package metrics

import "github.com/prometheus/client_golang/prometheus"

// webhookCollectors are the webhook deliveries' collectors, by target id (a
// webhooks file holds at most webhook.MaxTargets).
type webhookCollectors struct {
	deliveries  *prometheus.CounterVec
	undelivered *prometheus.GaugeVec
}

func newWebhookCollectors(reg *prometheus.Registry) webhookCollectors {
	w := webhookCollectors{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "webhook_deliveries_total",
			Help: "Webhook POSTs by target id and outcome (delivered, refused: a 4xx or redirect answer, failed: not reached or 5xx)."}, []string{"target", "outcome"}),
		undelivered: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "webhook_undelivered_versions",
			Help: "Lake versions each webhook target is behind the head after the last run (0: up to date)."}, []string{"target"}),
	}
	reg.MustRegister(w.deliveries, w.undelivered)
	return w
}

// WebhookTarget makes target's delivery counters exist at 0 from start-up,
// so rate() and increase() see its first POST (webhook.Observer).
func (m *Metrics) WebhookTarget(target string) {
	for _, o := range []string{"delivered", "refused", "failed"} {
		m.webhooks.deliveries.WithLabelValues(target, o)
	}
}

// WebhookDelivery counts one webhook POST (webhook.Observer).
func (m *Metrics) WebhookDelivery(target, outcome string) {
	m.webhooks.deliveries.WithLabelValues(target, outcome).Inc()
}

// WebhookUndelivered sets how many versions target is behind (webhook.Observer).
func (m *Metrics) WebhookUndelivered(target string, versions int64) {
	m.webhooks.undelivered.WithLabelValues(target).Set(float64(versions))
}
