package zoloz

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

	"go.uber.org/zap"

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

	if c.verify {
		err := VerifyResponse(c.pub, path, c.clientID, resp.Header.Get(HeaderResponseTime), b, resp.Header.Get(HeaderSignature))
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
	return &response{header: resp.Header, body: b}, nil
}

// statusError classifies a non-2xx HTTP status. The gateway answers 200 to
// everything it understands, so other statuses come from load balancers,
// rate limiters or a wrong base URL.
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
	case s == http.StatusRequestTimeout || s >= 500:
		return &verification.TransientError{
			Code:       code,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now),
		}
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return &verification.ConfigError{Code: code, Err: errors.New("access denied; check the client id, the keys and the base URL")}
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
	if ctx.Err() != nil {
		code := "canceled"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			code = "timeout"
		}
		return &verification.TransientError{Code: code, Err: ctx.Err()}
	}
	// url.Error repeats the method and URL; the cause is what matters.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
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
