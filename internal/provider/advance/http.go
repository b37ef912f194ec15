package advance

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/kycpoller/kycpoller/internal/provider/providerhttp"
)

// response is a provider answer that passed the HTTP-level checks.
type response struct {
	header http.Header
	body   []byte
}

// post sends one JSON request and returns the answer's body, bounded by
// c.maxBytes and, with everything else, by c.timeout. Failures below the
// provider's own envelope (HTTP status, transport, content type, size) come
// back as TransientError or ConfigError.
func (c *Client) post(ctx context.Context, path, token string, body []byte) (*response, error) {
	reqCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set(TokenHeader, token)
	}
	header, b, err := providerhttp.Exchange(ctx, c.http, req, c.maxBytes, c.now, statusPolicy)
	if err != nil {
		return nil, err
	}
	return &response{header: header, body: b}, nil
}

// statusPolicy is how this client reads unexpected HTTP statuses.
var statusPolicy = providerhttp.StatusPolicy{
	AccessDenied: "check the credentials and the base URL",
	RetryAfter:   parseRetryAfter,
}
