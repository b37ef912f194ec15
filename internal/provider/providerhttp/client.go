package providerhttp

import (
	"net/http"
	"time"
)

// NewClient returns the HTTP client a provider client uses when given none:
// it applies timeout and follows no redirects.
func NewClient(timeout time.Duration) *http.Client {
	var rt http.RoundTripper = http.DefaultTransport
	if tr, ok := rt.(*http.Transport); ok {
		tr = tr.Clone()
		// Many polls run at once against one host.
		tr.MaxIdleConnsPerHost = 32
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
