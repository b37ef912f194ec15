package sink

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/stdwebhook"
)

// Defaults of WebhookOptions.
const (
	DefaultWebhookTimeout = 15 * time.Second
	DefaultUserAgent      = "kycpoller"
)

// maxResponseBytes is how much of a response body is read (and discarded) so
// that the connection can be reused; a longer body closes the connection.
const maxResponseBytes = 4 << 10

// WebhookOptions configures a Webhook.
type WebhookOptions struct {
	// URL is the absolute http or https endpoint events are POSTed to.
	URL string
	// Secrets are Standard Webhooks secrets ("whsec_" + base64). Every one
	// signs each request, which is how a secret is rotated.
	Secrets []string
	// Timeout bounds one request, response included (default
	// DefaultWebhookTimeout).
	Timeout time.Duration
	// HTTPClient is optional. Whichever client is used, redirects are not
	// followed: a copy of the given client is made with its CheckRedirect
	// replaced.
	HTTPClient *http.Client
	// UserAgent is optional (default DefaultUserAgent).
	UserAgent string
	// Now is optional (default time.Now); it dates each attempt.
	Now func() time.Time
	// Encoder shapes the body. The zero value sends the event's JSON with
	// the result and without images.
	Encoder Encoder
}

// Webhook delivers events as Standard Webhooks requests: the body is the
// event encoded by WebhookOptions.Encoder, webhook-id is the event id (the
// same on every attempt, so receivers can de-duplicate) and each attempt
// carries its own timestamp and signature. It is safe for concurrent use.
type Webhook struct {
	url       string
	signer    *stdwebhook.Signer
	timeout   time.Duration
	client    *http.Client
	userAgent string
	now       func() time.Time
	encoder   Encoder
}

// NewWebhook validates opts and fills in defaults. Errors name the offending
// field and never echo the URL or a secret.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("sink: webhook URL: must be an absolute http or https URL")
	}
	signer, err := stdwebhook.NewSigner(opts.Secrets...)
	if err != nil {
		return nil, fmt.Errorf("sink: webhook Secrets: %w", err)
	}
	if opts.Timeout < 0 {
		return nil, errors.New("sink: webhook Timeout: must not be negative")
	}
	if err := opts.Encoder.Validate(); err != nil {
		return nil, fmt.Errorf("sink: webhook Encoder: %w", err)
	}
	client := &http.Client{}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Webhook{
		url:       opts.URL,
		signer:    signer,
		timeout:   cmp.Or(opts.Timeout, DefaultWebhookTimeout),
		client:    client,
		userAgent: cmp.Or(opts.UserAgent, DefaultUserAgent),
		now:       now,
		encoder:   opts.Encoder,
	}, nil
}

// Deliver makes one signed POST of ev. It returns nil on a 2xx answer, a
// *PermanentError on 410 Gone or an event that cannot be sent, and a
// *RetryableError otherwise: 429, 502, 503 and 504 carry the receiver's
// Retry-After, network errors and timeouts have StatusCode 0.
func (w *Webhook) Deliver(ctx context.Context, ev *event.Event) error {
	body, contentType, err := encodeEvent(w.encoder, ev)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return &RetryableError{Err: fmt.Errorf("build webhook request (%T)", err)}
	}
	now := w.now()
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", w.userAgent)
	req.Header.Set(stdwebhook.HeaderID, ev.ID)
	req.Header.Set(stdwebhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(stdwebhook.HeaderSignature, w.signer.Sign(ev.ID, now, body))

	resp, err := w.client.Do(req)
	if err != nil {
		// A *url.Error quotes the URL, which may hold a token; keep only
		// its cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return &RetryableError{Err: fmt.Errorf("POST webhook: %w", redactQuoted(err))}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
	_ = resp.Body.Close()

	return classify(resp, now)
}

// classify maps a webhook answer to nil or a sink error, following the
// Standard Webhooks conventions. now is the time of the attempt, against
// which a Retry-After date is measured.
func classify(resp *http.Response, now time.Time) error {
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusGone:
		return &PermanentError{StatusCode: code, Err: errors.New("webhook endpoint is gone")}
	case code >= 300 && code < 400:
		return &RetryableError{StatusCode: code, Err: errors.New("redirects are not followed")}
	case code == http.StatusTooManyRequests, code == http.StatusBadGateway,
		code == http.StatusServiceUnavailable, code == http.StatusGatewayTimeout:
		return &RetryableError{StatusCode: code, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now)}
	default:
		return &RetryableError{StatusCode: code}
	}
}

// quotedText matches a double-quoted fragment, as Go's HTTP transport prints
// the bytes of a malformed response.
var quotedText = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// redactQuoted hides quoted fragments of err's message (a receiver's bytes
// must not reach logs or the dashboard) and keeps err as the cause, so
// errors.Is still sees deadlines and cancellations.
func redactQuoted(err error) error {
	msg := err.Error()
	if !strings.Contains(msg, `"`) {
		return err
	}
	return &redactedError{msg: quotedText.ReplaceAllString(msg, `"..."`), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
