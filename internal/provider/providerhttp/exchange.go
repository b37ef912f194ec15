package providerhttp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/kycpoller/kycpoller/internal/verification"
)

// Exchange sends req with hc and returns the answer's header and body, at
// most maxBytes of it. ctx is the caller's context (req's may be a shorter
// one derived from it); now is read once the answer's status is in. Failures
// below the provider's own envelope (HTTP status, transport, content type,
// size) come back as TransientError or ConfigError.
func Exchange(ctx context.Context, hc *http.Client, req *http.Request, maxBytes int64, now func() time.Time, p StatusPolicy) (http.Header, []byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, TransportError(ctx, "send request", err)
	}
	defer resp.Body.Close()

	if err := StatusError(resp, now(), p); err != nil {
		// Drain a little so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return nil, nil, err
	}
	if err := CheckContentType(resp.Header.Get("Content-Type")); err != nil {
		return nil, nil, err
	}
	b, tooLarge, err := ReadBody(resp, maxBytes)
	if err != nil {
		return nil, nil, TransportError(ctx, "read response", err)
	}
	if tooLarge {
		return nil, nil, &verification.TransientError{
			Code: "response_too_large",
			Err:  fmt.Errorf("response exceeds %d bytes", maxBytes),
		}
	}
	return resp.Header, b, nil
}
