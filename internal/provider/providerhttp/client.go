package providerhttp

import (
	"net/http"
	"time"
)

// MaxIdleConnsPerHost is how many idle connections a provider client keeps
// to its host: above any sensible worker.concurrency.
const MaxIdleConnsPerHost = 1024

// NewClient returns the HTTP client a provider client uses when given none:
// it applies timeout and follows no redirects.
func NewClient(timeout time.Duration) *http.Client {
	var rt http.RoundTripper = http.DefaultTransport
	if tr, ok := rt.(*http.Transport); ok {
		tr = tr.Clone()
		// Many polls run at once against one host, each holding one
		// connection: keep as many idle as ran at once, so that the next
		// wave reuses them instead of opening new ones (with fewer, a
		// worker with concurrency 300 against a 300 ms provider opened
		// hundreds of connections per second). Idle ones still close after
		// IdleConnTimeout.
		tr.MaxIdleConns = 0 // no total limit: one host per client
		tr.MaxIdleConnsPerHost = MaxIdleConnsPerHost
		rt = tr
	}
	return &http.Client{
		Transport: rt,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
