// Package metrics defines kycpoller's own Prometheus metrics. Every label
// value comes from a bounded set (provider names, configured sink names,
// fixed outcomes); never an id.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors. Its methods are safe for concurrent use.
type Metrics struct {
	registry    *prometheus.Registry
	polls       *prometheus.CounterVec
	deliveries  *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	badSigs     *prometheus.CounterVec
	tokens      *prometheus.CounterVec
	checkTime   *prometheus.HistogramVec
	toFinal     *prometheus.HistogramVec
	callbacks   *prometheus.CounterVec
}

// New registers kycpoller's metrics, and the Go and process collectors, on a
// fresh registry.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kycpoller_polls_total",
			Help: "Provider polls by provider and outcome (not_ready, final, transient_error, config_error, already_final; rate_limited: put off by the provider rate limit, no call made).",
		}, []string{"provider", "outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kycpoller_deliveries_total",
			Help: "Delivery attempts by sink and outcome (delivered, retry, dead_lettered).",
		}, []string{"sink", "outcome"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kycpoller_dead_letters_total",
			Help: "Deliveries that exhausted their retry schedule or were refused for good, by sink; archived in asynq.",
		}, []string{"sink"}),
	}
	m.badSigs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kycpoller_provider_response_signature_failures_total",
		Help: "Provider responses whose signature failed verification (never trusted, retried), by provider. Any increase needs attention.",
	}, []string{"provider"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kycpoller_token_refreshes_total",
		Help: "Access tokens fetched from a provider (shared by every worker through Redis), by provider.",
	}, []string{"provider"})
	m.callbacks = newCallbacks()
	m.checkTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "kycpoller_provider_request_duration_seconds",
		Help:    "Time one provider check took (token included when one was fetched), by provider.",
		Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"provider"})
	m.toFinal = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "kycpoller_verification_time_to_final_seconds",
		Help:    "Time from enqueue to the final result, by provider and final status.",
		Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200},
	}, []string{"provider", "status"})
	m.registry.MustRegister(m.checkTime, m.toFinal)
	m.registry.MustRegister(m.polls, m.deliveries, m.deadLetters, m.badSigs, m.tokens, m.callbacks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// PollDone counts one poll.
func (m *Metrics) PollDone(provider, outcome string) {
	m.polls.WithLabelValues(provider, outcome).Inc()
}

// DeliveryDone counts one delivery attempt; a dead_lettered outcome also
// counts a dead letter.
func (m *Metrics) DeliveryDone(sink, outcome string) {
	m.deliveries.WithLabelValues(sink, outcome).Inc()
	if outcome == "dead_lettered" {
		m.deadLetters.WithLabelValues(sink).Inc()
	}
}

// ResponseSignatureFailed counts a provider response that failed signature
// verification.
func (m *Metrics) ResponseSignatureFailed(provider string) {
	m.badSigs.WithLabelValues(provider).Inc()
}

// TokenRefreshed counts an access token fetched from a provider.
func (m *Metrics) TokenRefreshed(provider string) {
	m.tokens.WithLabelValues(provider).Inc()
}

// CheckDone observes how long one provider check took.
func (m *Metrics) CheckDone(provider string, d time.Duration) {
	m.checkTime.WithLabelValues(provider).Observe(d.Seconds())
}

// Finalized observes a verification's time from enqueue to its final
// result.
func (m *Metrics) Finalized(provider, status string, age time.Duration) {
	m.toFinal.WithLabelValues(provider, status).Observe(age.Seconds())
}

// Register adds another collector, such as asynq's queue collector.
func (m *Metrics) Register(c prometheus.Collector) error { return m.registry.Register(c) }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
