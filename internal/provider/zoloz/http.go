package zoloz

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/provider/providerhttp"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// response is a gateway answer that passed the HTTP-level checks and, when
// enabled, signature verification.
type response struct {
	header http.Header
	body   []byte
}

// call makes one signed gateway request to path and returns the answer,
// bounded by c.maxBytes and, with everything else, by c.timeout. Failures
// below the provider's result envelope (HTTP status, transport, content
// type, size, response signature) come back as TransientError or
// ConfigError. The signature is checked last: answers that fail the earlier
// checks are classified by their HTTP status or content type alone, and their
// bodies are never read as results.
func (c *Client) call(ctx context.Context, log *zap.Logger, path string, body []byte) (*response, error) {
	reqTime := c.now().Format(TimeLayout)
	sig, err := SignRequest(c.key, path, c.clientID, reqTime, body)
	if err != nil {
		return nil, err
	}

	reqCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderClientID, c.clientID)
	req.Header.Set(HeaderRequestTime, reqTime)
	req.Header.Set(HeaderSignature, signatureHeader(sig))

	header, b, err := providerhttp.Exchange(ctx, c.http, req, c.maxBytes, c.now, statusPolicy)
	if err != nil {
		return nil, err
	}

	if c.verify {
		err := VerifyResponse(c.pub, path, c.clientID, header.Get(HeaderResponseTime), b, header.Get(HeaderSignature))
		if err != nil {
			// Never trusted, whatever it says. The error is ours and
			// names no header value; the body is not logged.
			log.Error("zoloz response signature verification failed", zap.Error(err))
			if c.onSigFail != nil {
				c.onSigFail()
			}
			return nil, &verification.TransientError{Code: CodeResponseSignature, Err: err}
		}
	}
	return &response{header: header, body: b}, nil
}

// statusPolicy is how this client reads unexpected HTTP statuses.
var statusPolicy = providerhttp.StatusPolicy{
	AccessDenied: "check the client id, the keys and the base URL",
	RetryAfter:   parseRetryAfter,
}
