package sink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/kycpoller/kycpoller/internal/amqptest"
	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/sink"
)

func newAMQP(t *testing.T, opts sink.AMQPOptions) *sink.AMQP {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := sink.NewAMQP(ctx, opts)
	if err != nil {
		t.Fatalf("NewAMQP: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// amqpChannel is the test's own channel to the broker, closed when the
// test ends.
func amqpChannel(t *testing.T, srv *amqptest.Server) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(srv.URL)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// names returns an exchange and a queue name of the test's own, so that
// tests sharing the broker stay apart.
func names(t *testing.T) (exchange, queue string) {
	n := strings.NewReplacer("/", ".", " ", "_").Replace(t.Name())
	return "x." + n, "q." + n
}

// declare declares a direct exchange and, when key is not empty, a queue
// bound to it with key.
func declare(t *testing.T, ch *amqp.Channel, exchange, queue, key string, durable bool) {
	t.Helper()
	if err := ch.ExchangeDeclare(exchange, amqp.ExchangeDirect, durable, !durable, false, false, nil); err != nil {
		t.Fatalf("declare exchange: %v", err)
	}
	if key == "" {
		return
	}
	if _, err := ch.QueueDeclare(queue, durable, !durable, false, false, nil); err != nil {
		t.Fatalf("declare queue: %v", err)
	}
	if err := ch.QueueBind(queue, key, exchange, false, nil); err != nil {
		t.Fatalf("bind queue: %v", err)
	}
}

// drain returns the messages of the queue, oldest first.
func drain(t *testing.T, ch *amqp.Channel, queue string) []amqp.Delivery {
	t.Helper()
	var msgs []amqp.Delivery
	for {
		d, ok, err := ch.Get(queue, true)
		if err != nil {
			t.Fatalf("get from %s: %v", queue, err)
		}
		if !ok {
			return msgs
		}
		msgs = append(msgs, d)
	}
}

func TestAMQPDeliver(t *testing.T) {
	t.Parallel()
	srv := rabbit.Get(t)
	ch := amqpChannel(t, srv)
	exchange, queue := names(t)
	declare(t, ch, exchange, queue, "kyc.done", false)

	for _, enc := range []sink.Encoder{{}, {Format: sink.FormatCloudEvents}} {
		a := newAMQP(t, sink.AMQPOptions{URL: srv.URL, Exchange: exchange, RoutingKey: "kyc.done", Encoder: enc})
		ev := testEvent("v-amqp")
		if err := a.Deliver(context.Background(), ev); err != nil {
			t.Fatalf("%+v: Deliver: %v", enc, err)
		}
		msgs := drain(t, ch, queue)
		if len(msgs) != 1 {
			t.Fatalf("%+v: %d messages, want 1", enc, len(msgs))
		}
		want, ct, err := enc.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		m := msgs[0]
		if m.MessageId != ev.ID || m.ContentType != ct || m.Type != ev.Type || m.DeliveryMode != amqp.Persistent {
			t.Errorf("%+v: MessageId %q, ContentType %q, Type %q, DeliveryMode %d", enc, m.MessageId, m.ContentType, m.Type, m.DeliveryMode)
		}
		if !m.Timestamp.Equal(ev.Timestamp.Truncate(time.Second)) {
			t.Errorf("%+v: Timestamp %v, want %v", enc, m.Timestamp, ev.Timestamp)
		}
		if string(m.Body) != string(want) {
			t.Errorf("%+v: body\n%s\nwant\n%s", enc, m.Body, want)
		}
	}
}

// A message no queue takes is an error, not silently dropped.
func TestAMQPUnroutable(t *testing.T) {
	t.Parallel()
	srv := rabbit.Get(t)
	ch := amqpChannel(t, srv)
	exchange, queue := names(t)
	declare(t, ch, exchange, queue, "", false)

	a := newAMQP(t, sink.AMQPOptions{URL: srv.URL, Exchange: exchange, RoutingKey: "kyc.done"})
	for range 2 {
		err := a.Deliver(context.Background(), testEvent("v-unroutable"))
		retryable(t, err)
		if !strings.Contains(err.Error(), "unroutable") || !strings.Contains(err.Error(), "kyc.done") {
			t.Errorf("error %q does not say the message was unroutable", err)
		}
	}
	declare(t, ch, exchange, queue, "kyc.done", false)
	if err := a.Deliver(context.Background(), testEvent("v-routable")); err != nil {
		t.Fatalf("Deliver once a queue is bound: %v", err)
	}
	msgs := drain(t, ch, queue)
	if len(msgs) != 1 || msgs[0].MessageId != testEvent("v-routable").ID {
		t.Errorf("queue holds %d messages, want the routable one only", len(msgs))
	}
}

// A missing exchange fails each delivery until it is declared; the sink
// recovers from the channel the broker closed.
func TestAMQPMissingExchange(t *testing.T) {
	t.Parallel()
	srv := rabbit.Get(t)
	exchange, queue := names(t)
	a := newAMQP(t, sink.AMQPOptions{URL: srv.URL, Exchange: exchange, RoutingKey: "kyc.done", Timeout: 3 * time.Second})
	for range 2 {
		err := a.Deliver(context.Background(), testEvent("v-no-exchange"))
		retryable(t, err)
		if !strings.Contains(err.Error(), "404") {
			t.Errorf("error %q does not carry the broker's 404", err)
		}
	}
	ch := amqpChannel(t, srv)
	declare(t, ch, exchange, queue, "kyc.done", false)
	if err := a.Deliver(context.Background(), testEvent("v-exchange")); err != nil {
		t.Fatalf("Deliver once the exchange exists: %v", err)
	}
	if msgs := drain(t, ch, queue); len(msgs) != 1 {
		t.Errorf("queue holds %d messages, want 1", len(msgs))
	}
}

// A nack (here: a full queue that rejects publishes) is a retryable error.
// The default exchange routes to the queue named by the routing key.
func TestAMQPNack(t *testing.T) {
	t.Parallel()
	srv := rabbit.Get(t)
	ch := amqpChannel(t, srv)
	_, queue := names(t)
	_, err := ch.QueueDeclare(queue, false, true, false, false, amqp.Table{"x-max-length": int32(1), "x-overflow": "reject-publish"})
	if err != nil {
		t.Fatal(err)
	}
	a := newAMQP(t, sink.AMQPOptions{URL: srv.URL, RoutingKey: queue})
	if err := a.Deliver(context.Background(), testEvent("v-first")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	err = a.Deliver(context.Background(), testEvent("v-second"))
	retryable(t, err)
	if !strings.Contains(err.Error(), "nack") {
		t.Errorf("error %q does not say the broker refused the message", err)
	}
	// The channel is still usable.
	drain(t, ch, queue)
	if err := a.Deliver(context.Background(), testEvent("v-second")); err != nil {
		t.Fatalf("Deliver after the queue emptied: %v", err)
	}
}

func TestAMQPConcurrentPermanentAndClosed(t *testing.T) {
	t.Parallel()
	srv := rabbit.Get(t)
	ch := amqpChannel(t, srv)
	exchange, queue := names(t)
	declare(t, ch, exchange, queue, "kyc.done", false)
	a := newAMQP(t, sink.AMQPOptions{URL: srv.URL, Exchange: exchange, RoutingKey: "kyc.done"})
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.Deliver(context.Background(), testEvent(fmt.Sprintf("v-%02d", i))); err != nil {
				t.Errorf("Deliver %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	ids := map[string]bool{}
	for _, m := range drain(t, ch, queue) {
		ids[m.MessageId] = true
	}
	if len(ids) != n {
		t.Errorf("%d distinct message ids, want %d", len(ids), n)
	}

	bad := testEvent("v-bad")
	bad.Data.Result = json.RawMessage(`{"name":"` + personalMarker + `"`)
	noID := testEvent("v-no-id")
	noID.ID = ""
	for name, ev := range map[string]*event.Event{"nil": nil, "no id": noID, "bad json": bad} {
		err := a.Deliver(context.Background(), ev)
		if !sink.IsPermanent(err) || strings.Contains(err.Error(), personalMarker) {
			t.Errorf("%s: err = %v, want permanent without data", name, err)
		}
	}

	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	retryable(t, a.Deliver(context.Background(), testEvent("v-closed")))
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A broker that is down for a while gets everything once it is back:
// deliveries fail fast and retryably meanwhile, without showing the
// password, and the next ones reconnect. The broker goes down twice: a
// clean stop (the broker closes the connection), then a crash (the
// connection just dies). Not parallel: it stops the package's broker, which
// the parallel tests only use after it is done.
func TestAMQPBrokerDownThenBack(t *testing.T) {
	srv := rabbit.Get(t)
	exchange, queue := names(t)
	declare(t, amqpChannel(t, srv), exchange, queue, "kyc.done", true)
	const timeout = 3 * time.Second
	a := newAMQP(t, sink.AMQPOptions{URL: srv.URL, Exchange: exchange, RoutingKey: "kyc.done", Timeout: timeout})
	if err := a.Deliver(context.Background(), testEvent("v-before")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*amqptest.StartTimeout)
	defer cancel()

	down := func(ids ...string) {
		t.Helper()
		for _, id := range ids {
			start := time.Now()
			err := a.Deliver(context.Background(), testEvent(id))
			retryable(t, err)
			if strings.Contains(err.Error(), srv.Password) {
				t.Errorf("error shows the password: %v", err)
			}
			if d := time.Since(start); d > timeout+500*time.Millisecond {
				t.Errorf("Deliver while down took %v", d)
			}
		}
	}
	back := func(ids ...string) {
		t.Helper()
		start := time.Now()
		if err := srv.Restart(ctx); err != nil {
			t.Fatalf("Restart: %v", err)
		}
		t.Logf("broker restarted in %v", time.Since(start).Round(time.Millisecond))
		// The retries the delivery task would make.
		for _, id := range ids {
			if err := a.Deliver(context.Background(), testEvent(id)); err != nil {
				t.Fatalf("Deliver %s after restart: %v", id, err)
			}
		}
	}

	// The clean stop also puts the topology on disk: a queue declared
	// moments before a crash can be lost by the broker itself.
	srv.Shutdown()
	down("v-stopped-0", "v-stopped-1", "v-stopped-2")
	back("v-stopped-0", "v-stopped-1", "v-stopped-2")
	srv.Kill()
	down("v-crashed")
	back("v-crashed")

	var ids []string
	for _, m := range drain(t, amqpChannel(t, srv), queue) {
		ids = append(ids, m.MessageId)
	}
	var want []string
	for _, id := range []string{"v-before", "v-stopped-0", "v-stopped-1", "v-stopped-2", "v-crashed"} {
		want = append(want, testEvent(id).ID)
	}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("queue holds %v, want %v", ids, want)
	}
}

func TestNewAMQPRefusesBadCredentialsAndUnreachableBrokers(t *testing.T) {
	t.Parallel()
	srv := rabbit.Get(t)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(srv.User, "wrong-"+credentialMarker)
	_, err = sink.NewAMQP(context.Background(), sink.AMQPOptions{URL: u.String(), Exchange: "x", Timeout: 10 * time.Second})
	if err == nil {
		t.Fatal("connected with a wrong password")
	}
	if strings.Contains(err.Error(), credentialMarker) {
		t.Errorf("error shows the password: %v", err)
	}

	u.Host = "127.0.0.1:1"
	start := time.Now()
	_, err = sink.NewAMQP(context.Background(), sink.AMQPOptions{URL: u.String(), Exchange: "x", Timeout: time.Second})
	if err == nil || strings.Contains(err.Error(), credentialMarker) {
		t.Errorf("unreachable broker: err = %v, want an error without the password", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("NewAMQP took %v", d)
	}
}

func TestNewAMQPValidatesOptions(t *testing.T) {
	t.Parallel()
	const good = "amqp://guest:guest@127.0.0.1:1/"
	for _, tc := range []struct {
		name  string
		opts  sink.AMQPOptions
		field string
	}{
		{"no url", sink.AMQPOptions{Exchange: "x"}, "URL"},
		{"bad scheme", sink.AMQPOptions{URL: "http://u:" + credentialMarker + "@h/", Exchange: "x"}, "URL"},
		{"bad url", sink.AMQPOptions{URL: "amqp://u:" + credentialMarker + "@%zz/", Exchange: "x"}, "URL"},
		{"reserved character", sink.AMQPOptions{URL: "amqp://u:" + credentialMarker + "#x@h/", Exchange: "x"}, "URL"},
		{"long exchange", sink.AMQPOptions{URL: good, Exchange: strings.Repeat("x", 256)}, "Exchange"},
		{"long key", sink.AMQPOptions{URL: good, Exchange: "x", RoutingKey: strings.Repeat("k", 256)}, "RoutingKey"},
		{"default exchange without key", sink.AMQPOptions{URL: good}, "RoutingKey"},
		{"negative timeout", sink.AMQPOptions{URL: good, Exchange: "x", Timeout: -time.Second}, "Timeout"},
		{"format", sink.AMQPOptions{URL: good, Exchange: "x", Encoder: sink.Encoder{Format: "xml"}}, "Format"},
	} {
		_, err := sink.NewAMQP(context.Background(), tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.field)
			continue
		}
		if strings.Contains(err.Error(), credentialMarker) {
			t.Errorf("%s: error shows a credential: %v", tc.name, err)
		}
	}
}
