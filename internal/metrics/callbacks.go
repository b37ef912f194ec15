package metrics

import "github.com/prometheus/client_golang/prometheus"

func newCallbacks() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kycpoller_callbacks_total",
		Help: "Provider callbacks by provider and outcome (nudged, already_due, final, unknown, ignored, invalid, unauthorized, error). unknown counts callbacks naming a verification this kycpoller does not know.",
	}, []string{"provider", "outcome"})
}

// CallbackReceived counts one provider callback. outcome is one of a fixed
// set; provider is a configured provider name.
func (m *Metrics) CallbackReceived(provider, outcome string) {
	m.callbacks.WithLabelValues(provider, outcome).Inc()
}
