package sink

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kycpoller/kycpoller/internal/event"
)

// Defaults of NATSOptions.
const (
	DefaultNATSTimeout = 10 * time.Second
	// DefaultNATSDuplicateWindow is the duplicate window of a stream NewNATS
	// creates. It covers the early, closely spaced retries, which is when
	// an attempt whose acknowledgement was lost is repeated.
	DefaultNATSDuplicateWindow = time.Hour
	DefaultNATSName            = "kycpoller"
)

// NATSOptions configures a NATS sink.
type NATSOptions struct {
	// URL is the server, or a comma-separated list of servers of one
	// cluster (nats://host:4222, tls://...).
	URL string
	// Subject events are published to: a literal subject, no wildcards.
	Subject string
	// Stream, when set, is the JetStream stream NewNATS creates, or updates
	// so that it stores Subject (and has DuplicateWindow, when that is
	// set). Its other settings are left alone. When empty, the operator
	// provides a stream that stores Subject.
	Stream string
	// DuplicateWindow is the stream's de-duplication window (default
	// DefaultNATSDuplicateWindow for a stream NewNATS creates). Only with
	// Stream.
	DuplicateWindow time.Duration
	// Timeout bounds one publish, acknowledgement included, and the
	// connection at start (default DefaultNATSTimeout).
	Timeout time.Duration
	// User and Password, or Token, authenticate the connection.
	User, Password, Token string
	// Encoder shapes the message body.
	Encoder Encoder
	// Name is the connection's name as the server shows it (default
	// DefaultNATSName).
	Name string
}

// NATS publishes events to a JetStream stream. The message id (Nats-Msg-Id)
// is the event id, so the server drops a repeated attempt inside the
// stream's duplicate window; consumers can also de-duplicate on it. A publish
// counts as delivered only once the stream has acknowledged it.
//
// The connection reconnects by itself, forever; while it is down, Deliver
// fails at once with a *RetryableError. It is safe for concurrent use.
type NATS struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	subject string
	timeout time.Duration
	encoder Encoder
}

// NewNATS validates opts, connects, and creates or updates opts.Stream when
// it is set. It fails when the server cannot be reached within opts.Timeout.
// Errors name the offending field and never show credentials.
func NewNATS(ctx context.Context, opts NATSOptions) (*NATS, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	timeout := cmp.Or(opts.Timeout, DefaultNATSTimeout)
	natsOpts := []nats.Option{
		nats.Name(cmp.Or(opts.Name, DefaultNATSName)),
		nats.Timeout(timeout),
		nats.MaxReconnects(-1),
		// Nothing is buffered while reconnecting: a publish then fails at
		// once and the delivery is retried on the sink's schedule.
		nats.ReconnectBufSize(-1),
	}
	switch {
	case opts.Token != "":
		natsOpts = append(natsOpts, nats.Token(opts.Token))
	case opts.User != "":
		natsOpts = append(natsOpts, nats.UserInfo(opts.User, opts.Password))
	}
	nc, err := nats.Connect(opts.URL, natsOpts...)
	if err != nil {
		return nil, fmt.Errorf("sink: nats: connect to %s: %w", redactURLs(opts.URL), scrubURLError(err))
	}
	n := &NATS{subject: opts.Subject, timeout: timeout, encoder: opts.Encoder, nc: nc}
	if n.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, fmt.Errorf("sink: nats: %w", err)
	}
	if opts.Stream != "" {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if err := n.ensureStream(ctx, opts.Stream, opts.DuplicateWindow); err != nil {
			nc.Close()
			return nil, fmt.Errorf("sink: nats Stream %q: %w", opts.Stream, err)
		}
	}
	return n, nil
}

func (o NATSOptions) validate() error {
	if strings.TrimSpace(o.URL) == "" {
		return errors.New("sink: nats URL: required")
	}
	for _, raw := range strings.Split(o.URL, ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || u.Host == "" {
			return errors.New("sink: nats URL: must be nats://host:port, or a comma-separated list of them")
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return fmt.Errorf("sink: nats URL: unsupported scheme %q (want nats, tls, ws or wss)", u.Scheme)
		}
	}
	if !validSubject(o.Subject) {
		return errors.New("sink: nats Subject: must be a literal subject: dot-separated tokens, no spaces or wildcards")
	}
	if o.Stream != "" && strings.ContainsAny(o.Stream, " \t\r\n.*>/\\") {
		return errors.New("sink: nats Stream: must not contain spaces, '.', '*', '>' or path separators")
	}
	if o.DuplicateWindow < 0 {
		return errors.New("sink: nats DuplicateWindow: must not be negative")
	}
	if o.DuplicateWindow > 0 && o.Stream == "" {
		return errors.New("sink: nats DuplicateWindow: only applies with Stream")
	}
	if o.Timeout < 0 {
		return errors.New("sink: nats Timeout: must not be negative")
	}
	if o.Token != "" && (o.User != "" || o.Password != "") {
		return errors.New("sink: nats Token: use either Token or User and Password")
	}
	if o.Password != "" && o.User == "" {
		return errors.New("sink: nats User: required with Password")
	}
	if err := o.Encoder.Validate(); err != nil {
		return fmt.Errorf("sink: nats Encoder: %w", err)
	}
	return nil
}

// ensureStream creates the stream, or adds the subject (and the duplicate
// window, when given) to an existing one without touching its other
// settings.
func (n *NATS) ensureStream(ctx context.Context, name string, window time.Duration) error {
	// Two workers starting together can race to create the stream; the
	// loser updates the winner's.
	for range 2 {
		s, err := n.js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			_, err = n.js.CreateStream(ctx, jetstream.StreamConfig{
				Name:       name,
				Subjects:   []string{n.subject},
				Duplicates: cmp.Or(window, DefaultNATSDuplicateWindow),
				Storage:    jetstream.FileStorage,
			})
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				continue
			}
			if err != nil {
				return fmt.Errorf("create stream: %w", err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("look up stream: %w", err)
		}
		cfg := s.CachedInfo().Config
		changed := false
		if !subjectsCover(cfg.Subjects, n.subject) {
			cfg.Subjects = append(cfg.Subjects, n.subject)
			changed = true
		}
		if window > 0 && cfg.Duplicates != window {
			cfg.Duplicates = window
			changed = true
		}
		if !changed {
			return nil
		}
		if _, err := n.js.UpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("update stream: %w", err)
		}
		return nil
	}
	return errors.New("create stream: lost the race to create it twice")
}

// Deliver publishes ev and waits for the stream's acknowledgement. A
// duplicate acknowledgement (the stream already holds the event) is a
// success. Failures are *RetryableError, except an event that cannot be sent
// at all (*PermanentError).
func (n *NATS) Deliver(ctx context.Context, ev *event.Event) error {
	body, contentType, err := encodeEvent(n.encoder, ev)
	if err != nil {
		return err
	}
	if st := n.nc.Status(); st != nats.CONNECTED {
		return &RetryableError{Err: fmt.Errorf("publish to NATS subject %q: not connected (%s)", n.subject, st)}
	}
	msg := &nats.Msg{
		Subject: n.subject,
		Data:    body,
		Header:  nats.Header{"Content-Type": []string{contentType}},
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	_, err = n.js.PublishMsg(ctx, msg, jetstream.WithMsgID(ev.ID))
	switch {
	case err == nil:
		// PubAck.Duplicate means the stream already had this id: delivered.
		return nil
	case errors.Is(err, jetstream.ErrNoStreamResponse):
		return &RetryableError{Err: fmt.Errorf("publish to NATS subject %q: no JetStream stream stores this subject (an operator must create one) or JetStream is unavailable: %w", n.subject, err)}
	case errors.Is(err, nats.ErrMaxPayload):
		return &PermanentError{Err: fmt.Errorf("publish to NATS subject %q: the %d-byte event is larger than the server's max_payload: %w", n.subject, len(body), err)}
	default:
		return &RetryableError{Err: fmt.Errorf("publish to NATS subject %q: %w", n.subject, err)}
	}
}

// Close closes the connection. Deliver fails afterwards.
func (n *NATS) Close() error {
	n.nc.Close()
	return nil
}

// validSubject reports whether s is a literal NATS subject.
func validSubject(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	for _, tok := range strings.Split(s, ".") {
		if tok == "" || tok == "*" || tok == ">" {
			return false
		}
	}
	return true
}

// subjectsCover reports whether one of a stream's subject filters matches
// the literal subject.
func subjectsCover(filters []string, subject string) bool {
	subj := strings.Split(subject, ".")
	for _, f := range filters {
		if subjectMatches(strings.Split(f, "."), subj) {
			return true
		}
	}
	return false
}

func subjectMatches(filter, subj []string) bool {
	for i, tok := range filter {
		switch {
		case tok == ">":
			return len(subj) > i
		case i >= len(subj):
			return false
		case tok != "*" && tok != subj[i]:
			return false
		}
	}
	return len(filter) == len(subj)
}

// redactURLs returns a comma-separated list of URLs without their
// credentials or query, for error messages.
func redactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		parts[i] = redactURL(strings.TrimSpace(p))
	}
	return strings.Join(parts, ",")
}
