package advance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kycpoller/kycpoller/internal/verification"
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
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(ctx, "send request", err)
	}
	defer resp.Body.Close()

	if err := statusError(resp, c.now()); err != nil {
		// Drain a little so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return nil, err
	}
	if err := checkContentType(resp.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	b, tooLarge, err := readBody(resp, c.maxBytes)
	if err != nil {
		return nil, transportError(ctx, "read response", err)
	}
	if tooLarge {
		return nil, &verification.TransientError{
			Code: "response_too_large",
			Err:  fmt.Errorf("response exceeds %d bytes", c.maxBytes),
		}
	}
	return &response{header: resp.Header, body: b}, nil
}

// statusError classifies a non-2xx HTTP status. The provider answers 200 to
// everything it understands, so other statuses come from gateways, rate
// limiters or a wrong base URL.
func statusError(resp *http.Response, now time.Time) error {
	s := resp.StatusCode
	code := "http_" + strconv.Itoa(s)
	switch {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusTooManyRequests:
		return &verification.TransientError{
			Code:       code,
			Throttled:  true,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now),
		}
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return &verification.ConfigError{Code: code, Err: errors.New("access denied; check the credentials and the base URL")}
	case s == http.StatusRequestTimeout || s >= 500:
		return &verification.TransientError{
			Code:       code,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now),
		}
	default:
		// Redirects (never followed) and other 4xx: the base URL or the
		// request shape is wrong, which retrying quickly will not fix.
		return &verification.ConfigError{Code: code, Err: errors.New("unexpected HTTP status; check the base URL")}
	}
}

// checkContentType accepts JSON media types, and a missing header (the body
// must then still parse as JSON).
func checkContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	if err != nil || len(mt) > 64 {
		mt = "unparsable"
	}
	return &verification.TransientError{Code: "content_type", Err: fmt.Errorf("unexpected content type %q", mt)}
}

// transportError classifies a failure to send a request or read its answer.
// ctx is the caller's context: when it has ended, the error wraps ctx.Err()
// so that callers can tell cancellation from provider trouble.
func transportError(ctx context.Context, doing string, err error) error {
	// url.Error repeats the method and URL; the cause is what matters.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctx.Err() != nil {
		return contextError(ctx)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &verification.TransientError{Code: "timeout", Err: fmt.Errorf("%s: no complete answer within the request timeout", doing)}
	}
	// Transport errors about a malformed answer quote bytes of it; keep
	// their words and drop the quotes.
	return &verification.TransientError{Code: "network", Err: fmt.Errorf("%s: %s", doing, quoted.ReplaceAllString(err.Error(), `"..."`))}
}

var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// contextError reports that the caller's ctx ended; it wraps ctx.Err().
func contextError(ctx context.Context) error {
	code := "canceled"
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		code = "timeout"
	}
	return &verification.TransientError{Code: code, Err: ctx.Err()}
}
