package sink

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/kycpoller/kycpoller/internal/event"
)

// Defaults of AMQPOptions.
const (
	DefaultAMQPTimeout = 10 * time.Second
	// amqpCloseTimeout bounds the goodbye to a broker that stopped
	// answering.
	amqpCloseTimeout = time.Second
	// amqpShortStr is the AMQP 0-9-1 limit of exchange names and routing
	// keys, in bytes.
	amqpShortStr = 255
)

// AMQPOptions configures an AMQP sink.
type AMQPOptions struct {
	// URL is the broker: amqp://user:password@host:5672/vhost, or amqps://.
	URL string
	// Exchange events are published to; it must exist. Empty is the
	// default exchange, which routes to the queue named RoutingKey.
	Exchange string
	// RoutingKey of every message.
	RoutingKey string
	// Timeout bounds one delivery attempt: connecting when needed,
	// publishing and the broker's confirmation (default DefaultAMQPTimeout).
	Timeout time.Duration
	// Encoder shapes the message body.
	Encoder Encoder
}

// AMQP publishes events to a RabbitMQ (AMQP 0-9-1) exchange with publisher
// confirms: Deliver returns nil only once the broker has confirmed the
// message, which for a persistent message routed to durable queues means it
// is on disk. Messages are persistent, mandatory (a message no queue takes
// is a *RetryableError, not silently dropped) and carry the event id as
// MessageId, so consumers can de-duplicate an at-least-once stream.
//
// The connection is opened by NewAMQP and, once lost, opened again by the
// next Deliver. Deliveries are serialised on one channel; AMQP is safe for
// concurrent use.
type AMQP struct {
	url        string
	redacted   string
	exchange   string
	routingKey string
	timeout    time.Duration
	encoder    Encoder

	mu      sync.Mutex // guards the fields below and serialises publishes
	conn    *amqp.Connection
	ch      *amqp.Channel
	returns chan amqp.Return
	closes  chan *amqp.Error
	closed  bool
}

// errClosed is the error of a Deliver after Close.
var errClosed = errors.New("sink is closed")

// NewAMQP validates opts and connects to the broker within opts.Timeout.
// The exchange is not checked here: a missing one fails each delivery with a
// *RetryableError until it is declared. Errors name the offending field and
// never show the URL's password.
func NewAMQP(ctx context.Context, opts AMQPOptions) (*AMQP, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	a := &AMQP{
		url:        opts.URL,
		redacted:   redactURL(opts.URL),
		exchange:   opts.Exchange,
		routingKey: opts.RoutingKey,
		timeout:    cmp.Or(opts.Timeout, DefaultAMQPTimeout),
		encoder:    opts.Encoder,
	}
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.channel(ctx); err != nil {
		return nil, fmt.Errorf("sink: amqp: %w", err)
	}
	return a, nil
}

func (o AMQPOptions) validate() error {
	if o.URL == "" {
		return errors.New("sink: amqp URL: required")
	}
	// ParseURI's errors quote the URL, password included; they are not kept.
	if _, err := amqp.ParseURI(o.URL); err != nil {
		return errors.New("sink: amqp URL: must be amqp://user:password@host:port/vhost or amqps://..., with reserved characters percent-encoded")
	}
	if len(o.Exchange) > amqpShortStr {
		return fmt.Errorf("sink: amqp Exchange: longer than %d bytes", amqpShortStr)
	}
	if len(o.RoutingKey) > amqpShortStr {
		return fmt.Errorf("sink: amqp RoutingKey: longer than %d bytes", amqpShortStr)
	}
	if o.Exchange == "" && o.RoutingKey == "" {
		return errors.New("sink: amqp RoutingKey: required with the default exchange (empty Exchange): it names the queue")
	}
	if o.Timeout < 0 {
		return errors.New("sink: amqp Timeout: must not be negative")
	}
	if err := o.Encoder.Validate(); err != nil {
		return fmt.Errorf("sink: amqp Encoder: %w", err)
	}
	return nil
}

// Deliver publishes ev and waits for the broker's confirmation. A nack, a
// returned (unroutable) message, a missing exchange, a lost connection and a
// timeout are *RetryableError; an event that cannot be sent at all is a
// *PermanentError.
func (a *AMQP) Deliver(ctx context.Context, ev *event.Event) error {
	body, contentType, err := encodeEvent(a.encoder, ev)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()

	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return &RetryableError{Err: errClosed}
	}
	ch, err := a.channel(ctx)
	if err != nil {
		return &RetryableError{Err: err}
	}
	a.drainReturns()
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, a.exchange, a.routingKey, true, false, amqp.Publishing{
		ContentType:  contentType,
		DeliveryMode: amqp.Persistent,
		MessageId:    ev.ID,
		Type:         ev.Type,
		Timestamp:    ev.Timestamp,
		AppId:        DefaultUserAgent,
		Body:         body,
	})
	if err != nil {
		a.reset()
		return &RetryableError{Err: fmt.Errorf("publish to AMQP exchange %q: %w", a.exchange, err)}
	}
	select {
	case <-dc.Done():
	case <-ctx.Done():
		// The confirmation may still come; the channel is dropped so that
		// nothing of this attempt leaks into the next one.
		a.reset()
		return &RetryableError{Err: fmt.Errorf("publish to AMQP exchange %q: waiting for the broker's confirmation: %w", a.exchange, ctx.Err())}
	}
	if dc.Acked() {
		// The broker sends basic.return before the ack of a message it
		// could not route, so a return is already queued by now.
		if a.returned(ev.ID) {
			return &RetryableError{Err: fmt.Errorf("publish to AMQP exchange %q: routing key %q: unroutable: no queue is bound for it", a.exchange, a.routingKey)}
		}
		return nil
	}
	// A nack, or the channel or connection closed with the message in
	// flight (the library nacks what is pending then).
	if cerr := a.closeReason(); cerr != nil {
		a.dropChannel()
		return &RetryableError{Err: fmt.Errorf("publish to AMQP exchange %q: channel closed: %w", a.exchange, cerr)}
	}
	return &RetryableError{Err: fmt.Errorf("publish to AMQP exchange %q: the broker refused the message (nack)", a.exchange)}
}

// Close closes the connection. Deliver fails afterwards.
func (a *AMQP) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	if a.conn == nil {
		return nil
	}
	err := a.conn.CloseDeadline(time.Now().Add(amqpCloseTimeout))
	a.conn, a.ch = nil, nil
	if err != nil && !errors.Is(err, amqp.ErrClosed) {
		return fmt.Errorf("sink: amqp: close: %w", err)
	}
	return nil
}

// channel returns the open confirm-mode channel, connecting and opening it
// first when needed. a.mu must be held.
func (a *AMQP) channel(ctx context.Context) (*amqp.Channel, error) {
	if a.ch != nil && !a.ch.IsClosed() && a.conn != nil && !a.conn.IsClosed() {
		return a.ch, nil
	}
	if a.conn == nil || a.conn.IsClosed() {
		a.reset()
		conn, err := a.dial(ctx)
		if err != nil {
			return nil, err
		}
		a.conn = conn
	}
	ch, err := a.conn.Channel()
	if err != nil {
		a.reset()
		return nil, fmt.Errorf("open AMQP channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		a.reset()
		return nil, fmt.Errorf("put AMQP channel in confirm mode: %w", err)
	}
	// Buffered, and drained on every Deliver: the library gives up on a
	// full listener after a while, but it should never have to.
	a.returns = ch.NotifyReturn(make(chan amqp.Return, 16))
	a.closes = ch.NotifyClose(make(chan *amqp.Error, 1))
	a.ch = ch
	return ch, nil
}

// dial connects within ctx's deadline.
func (a *AMQP) dial(ctx context.Context) (*amqp.Connection, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("connect to AMQP broker %s: %w", a.redacted, err)
	}
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(DefaultUserAgent + " sink")
	conn, err := amqp.DialConfig(a.url, amqp.Config{
		Properties: props,
		Dial: func(network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// Bounds the TLS and AMQP handshakes; the library clears it
			// once the connection is open.
			deadline, ok := ctx.Deadline()
			if !ok {
				deadline = time.Now().Add(a.timeout)
			}
			if err := c.SetDeadline(deadline); err != nil {
				_ = c.Close()
				return nil, err
			}
			return c, nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("connect to AMQP broker %s: %w", a.redacted, scrubURLError(err))
	}
	return conn, nil
}

// reset drops the channel and the connection; the next Deliver connects
// again. a.mu must be held.
func (a *AMQP) reset() {
	if a.conn != nil {
		_ = a.conn.CloseDeadline(time.Now().Add(amqpCloseTimeout))
	}
	a.conn, a.ch, a.returns, a.closes = nil, nil, nil, nil
}

// dropChannel forgets a channel the broker closed (a missing exchange
// does that), keeping the connection if it is still open. a.mu must be
// held.
func (a *AMQP) dropChannel() {
	if a.conn == nil || a.conn.IsClosed() {
		a.reset()
		return
	}
	if a.ch != nil {
		_ = a.ch.Close() // a no-op on a channel the broker closed
	}
	a.ch, a.returns, a.closes = nil, nil, nil
}

// drainReturns discards returns of earlier attempts. a.mu must be held.
func (a *AMQP) drainReturns() {
	for {
		select {
		case _, ok := <-a.returns:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// returned reports whether the broker returned the message with the given
// id. a.mu must be held.
func (a *AMQP) returned(id string) bool {
	found := false
	for {
		select {
		case r, ok := <-a.returns:
			if !ok {
				return found
			}
			found = found || r.MessageId == id
		default:
			return found
		}
	}
}

// closeReason is the broker's reason for closing the channel, if it did.
// a.mu must be held.
func (a *AMQP) closeReason() error {
	select {
	case e, ok := <-a.closes:
		if ok && e != nil {
			return e
		}
		return amqp.ErrClosed
	default:
		if a.ch != nil && a.ch.IsClosed() {
			return amqp.ErrClosed
		}
		return nil
	}
}

// redactURL returns raw without its user, password and query, for error
// messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}

// scrubURLError replaces a *url.Error, whose message quotes the URL, by its
// cause.
func scrubURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
