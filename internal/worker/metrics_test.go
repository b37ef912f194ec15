package worker_test

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// After some verifications, /metrics carries asynq's queue metrics and
// kycpoller's own, with real values.
func TestMetricsCarryRealValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	e.sb.Advance.Register("m-pass", advancefake.Script{ReadyAfter: time.Second, Outcome: advancefake.OutcomePass})
	e.sb.Advance.Register("m-fail", advancefake.Script{Outcome: advancefake.OutcomeFail})
	e.sb.Advance.Register("m-wait", advancefake.Script{Outcome: advancefake.OutcomePendingForever})
	e.startWorker(t, e.cfg)
	for _, id := range []string{"m-pass", "m-fail", "m-wait"} {
		e.enqueue(t, id)
	}
	waitDelivered(t, e, 2, 30*time.Second)
	waitFor(t, 10*time.Second, func() bool {
		return metricValue(scrape(t, e.cfg.HTTP.Addr), `kycpoller_deliveries_total{outcome="delivered",sink="default"}`) >= 2
	})
	m := scrape(t, e.cfg.HTTP.Addr)
	for _, c := range []struct {
		series string
		min    float64
	}{
		{`asynq_tasks_enqueued_total{queue="kyc_poll",state="retry"}`, 1}, // m-wait, waiting
		{`asynq_queue_size{queue="kyc_poll"}`, 1},
		{`asynq_tasks_processed_total{queue="kyc_delivery"}`, 2},
		{`asynq_queue_latency_seconds{queue="kyc_poll"}`, 0},
		{`kycpoller_polls_total{outcome="final",provider="advance"}`, 2},
		{`kycpoller_polls_total{outcome="not_ready",provider="advance"}`, 1},
		{`kycpoller_deliveries_total{outcome="delivered",sink="default"}`, 2},
		{`kycpoller_token_refreshes_total{provider="advance"}`, 1},
		{`kycpoller_provider_request_duration_seconds_count{provider="advance"}`, 3},
		{`kycpoller_verification_time_to_final_seconds_count{provider="advance",status="PASS"}`, 1},
		{`kycpoller_verification_time_to_final_seconds_count{provider="advance",status="FAIL"}`, 1},
	} {
		if v := metricValue(m, c.series); v < c.min {
			t.Errorf("%s = %v, want at least %v", c.series, v, c.min)
		}
	}
	if v := metricValue(m, `kycpoller_verification_time_to_final_seconds_sum{provider="advance",status="PASS"}`); v < 1 {
		t.Errorf("time to final of the PASS = %vs, want at least its 1 s readiness", v)
	}
}

// metricValue returns the value of one series in a Prometheus text
// exposition, or -1 when it is absent.
func metricValue(exposition, series string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.eE+-]+)$`)
	m := re.FindStringSubmatch(exposition)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return -1
	}
	return v
}
