package providerhttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"

	"github.com/kycpoller/kycpoller/internal/verification"
)

// TransportError classifies a failure to send a request or read its answer.
// ctx is the caller's context: when it has ended, the error wraps ctx.Err()
// so that callers can tell cancellation from provider trouble.
func TransportError(ctx context.Context, doing string, err error) error {
	if ctx.Err() != nil {
		return ContextError(ctx)
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

// ContextError reports that the caller's ctx ended; it wraps ctx.Err().
func ContextError(ctx context.Context) error {
	code := "canceled"
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		code = "timeout"
	}
	return &verification.TransientError{Code: code, Err: ctx.Err()}
}
