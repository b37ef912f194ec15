package worker_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/kycpoller/kycpoller/internal/amqptest"
	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/natstest"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// addSinks adds sinks to e's configuration and checks it again.
func (e *env) addSinks(t *testing.T, defaultSink string, sinks map[string]config.Sink) {
	t.Helper()
	for name, s := range sinks {
		e.cfg.Sinks[name] = s
	}
	e.cfg.DefaultSink = defaultSink
	e.cfg.ApplyDefaults()
	if err := e.cfg.Validate(); err != nil {
		t.Fatalf("configuration with the test's sinks: %v", err)
	}
	e.enq = tasks.NewEnqueuer(e.rdb, e.cfg)
}

var fastRetries = []time.Duration{time.Second, time.Second, 2 * time.Second, 2 * time.Second, 3 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second}

// Every sink type behind one fanout: each gets every event once, with the
// same event id, so receivers of any kind can de-duplicate.
func TestFanoutDeliversToEverySinkType(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	ns := natstest.Start(t)
	rb := rabbit.Get(t)
	ch := amqpQueue(t, rb, "kyc.fanout", "fanout-q", "done")
	e.addSinks(t, "all", map[string]config.Sink{
		"stream": {Type: config.SinkTypeRedisStream, Stream: "kyc:events", MaxLen: 10000, RetrySchedule: fastRetries},
		"bus":    {Type: config.SinkTypeNATS, URL: ns.URL, Subject: "kyc.done", Stream: "KYC", Format: config.FormatCloudEvents, RetrySchedule: fastRetries},
		"rabbit": {Type: config.SinkTypeAMQP, URL: rb.URL, Exchange: "kyc.fanout", RoutingKey: "done", RetrySchedule: fastRetries},
		"all":    {Type: config.SinkTypeFanout, Targets: []string{"default", "stream", "bus", "rabbit"}},
	})
	const n = 20
	for i := range n {
		e.sb.Advance.Register(fmt.Sprintf("fan-%02d", i), advancefake.Script{ReadyAfter: time.Duration(i%4) * time.Second, Outcome: advancefake.OutcomePass})
	}
	e.startWorker(t, e.cfg)
	for i := range n {
		e.enqueue(t, fmt.Sprintf("fan-%02d", i))
	}
	waitDelivered(t, e, n, 60*time.Second)
	webhookIDs := e.sb.Receiver.EventIDs()

	ctx := context.Background()
	waitFor(t, 30*time.Second, func() bool { return e.rdb.XLen(ctx, "kyc:events").Val() >= n })
	entries := e.rdb.XRange(ctx, "kyc:events", "-", "+").Val()
	streamIDs := map[string]int{}
	for _, x := range entries {
		streamIDs[fmt.Sprint(x.Values["id"])]++
		if x.Values["type"] != "verification.completed" || !strings.Contains(fmt.Sprint(x.Values["data"]), `"status":"PASS"`) {
			t.Errorf("stream entry fields = %v", x.Values)
		}
	}
	natsIDs := natsMsgIDs(t, ns.URL, "KYC", n)
	amqpIDs := amqpMessageIDs(t, ch, "fanout-q", n)
	for id := range webhookIDs {
		if streamIDs[id] != 1 || natsIDs[id] != 1 || amqpIDs[id] != 1 {
			t.Errorf("event %s: stream %d, nats %d, amqp %d copies; want 1 each", id, streamIDs[id], natsIDs[id], amqpIDs[id])
		}
	}
	if len(streamIDs) != n || len(natsIDs) != n || len(amqpIDs) != n {
		t.Errorf("distinct ids: webhook %d, stream %d, nats %d, amqp %d; want %d each", len(webhookIDs), len(streamIDs), len(natsIDs), len(amqpIDs), n)
	}
	// Each target has its own delivery task.
	info, err := e.ins.GetQueueInfo(e.cfg.Worker.Queues.Delivery.Name)
	if err != nil {
		t.Fatal(err)
	}
	if info.Completed != 4*n {
		t.Errorf("completed delivery tasks = %d, want %d (one per target and event)", info.Completed, 4*n)
	}
}

// A broker that is down when results become final gets every event once it
// is back, and the outage costs no provider call.
func TestBrokerDownThenBackGetsEverything(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	ns := natstest.Start(t)
	e.addSinks(t, "bus", map[string]config.Sink{
		"bus": {Type: config.SinkTypeNATS, URL: ns.URL, Subject: "kyc.down", Stream: "KYCDOWN", Timeout: 2 * time.Second, RetrySchedule: fastRetries},
	})
	const n = 10
	for i := range n {
		e.sb.Advance.Register(fmt.Sprintf("down-%02d", i), advancefake.Script{Outcome: advancefake.OutcomeFail})
	}
	ns.Kill() // down before the worker starts: the worker must start anyway
	e.startWorker(t, e.cfg)
	for i := range n {
		e.enqueue(t, fmt.Sprintf("down-%02d", i))
	}
	waitFor(t, 30*time.Second, func() bool {
		info, err := e.ins.GetQueueInfo(e.cfg.Worker.Queues.Delivery.Name)
		return err == nil && info.FailedTotal >= n
	})
	if err := ns.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	ids := natsMsgIDs(t, ns.URL, "KYCDOWN", n)
	if len(ids) != n {
		t.Fatalf("events on the stream after the outage: %d, want %d", len(ids), n)
	}
	for i := range n {
		id := fmt.Sprintf("down-%02d", i)
		if c := e.sb.Advance.Calls(id); c != 1 {
			t.Errorf("%s: %d provider calls, want 1 (a sink outage must not poll again)", id, c)
		}
	}
}

// 410 Gone stops a webhook delivery at once: dead-lettered (archived, with a
// readable error, counted), then re-driven by a replay with the same id.
func TestGoneWebhookDeadLettersThenReplays(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	e.sb.Advance.Register("gone-1", advancefake.Script{Outcome: advancefake.OutcomePass})
	e.sb.Receiver.SetStatus(http.StatusGone)
	e.startWorker(t, e.cfg)
	e.enqueue(t, "gone-1")
	var dead []*asynq.TaskInfo
	waitFor(t, 30*time.Second, func() bool {
		dead, _ = e.ins.ListArchivedTasks(e.cfg.Worker.Queues.Delivery.Name)
		return len(dead) == 1
	})
	if n := e.sb.Receiver.Requests(); n != 1 {
		t.Errorf("receiver got %d requests, want exactly 1: 410 stops retries", n)
	}
	if !strings.Contains(dead[0].LastErr, "410") {
		t.Errorf("dead letter's last error %q does not say 410", dead[0].LastErr)
	}
	if m := scrape(t, e.cfg.HTTP.Addr); !strings.Contains(m, `kycpoller_dead_letters_total{sink="default"} 1`) {
		t.Errorf("dead letter not counted in /metrics")
	}

	e.sb.Receiver.SetStatus(0)
	rp := tasks.NewReplayer(e.rdb, e.cfg)
	res, err := rp.ReplayDead(context.Background(), "")
	if err != nil || res.Replayed != 1 {
		t.Fatalf("ReplayDead = %+v, %v; want 1 replayed", res, err)
	}
	waitDelivered(t, e, 1, 30*time.Second)
	got := e.sb.Receiver.Accepted()[0]
	if want := dead[0].ID; !strings.HasSuffix(want, got.EventID) {
		t.Errorf("replayed event id %s, want the dead letter's (%s)", got.EventID, want)
	}
	if left, _ := e.ins.ListArchivedTasks(e.cfg.Worker.Queues.Delivery.Name); len(left) != 0 {
		t.Errorf("%d dead letters left after the replay", len(left))
	}

	// A replay by reference sends the same event again, same id.
	r, err := rp.Replay(context.Background(), verification.Ref{Provider: "advance", ID: "gone-1"}, "")
	if err != nil || r.EventID != got.EventID {
		t.Fatalf("Replay = %+v, %v", r, err)
	}
	waitFor(t, 30*time.Second, func() bool { return len(e.sb.Receiver.Accepted()) == 2 })
	if again := e.sb.Receiver.Accepted()[1]; again.EventID != got.EventID {
		t.Errorf("replay by reference sent %s, want %s", again.EventID, got.EventID)
	}
	if c := e.sb.Advance.Calls("gone-1"); c != 1 {
		t.Errorf("provider calls = %d, want 1", c)
	}
}

// Soak: 1,000 verifications while the webhook fails 30% of requests and is
// down for 30 s in the middle: every event arrives, one id per verification.
func TestSoakThousandVerificationsFlakyWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test")
	}
	t.Parallel()
	e := newEnv(t, sandbox.Options{Config: sandbox.ConfigParams{
		Concurrency: 60, Jitter: 0.2,
		RetrySchedule: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
			20 * time.Second, 20 * time.Second, 20 * time.Second, 20 * time.Second, 20 * time.Second, 20 * time.Second, 20 * time.Second},
	}})
	const n = 1000
	rng := rand.New(rand.NewPCG(23, 29))
	for i := range n {
		e.sb.Advance.Register(fmt.Sprintf("soak-%04d", i), advancefake.Script{
			ReadyAfter: time.Duration(rng.Int64N(int64(6 * time.Second))), Outcome: advancefake.OutcomePass})
	}
	e.sb.Receiver.SetFailRate(0.3)
	e.startWorker(t, e.cfg)
	for i := range n {
		e.enqueue(t, fmt.Sprintf("soak-%04d", i))
	}
	time.Sleep(3 * time.Second)
	e.sb.Receiver.SetDown(true)
	t.Logf("receiver down with %d events accepted", len(e.sb.Receiver.EventIDs()))
	time.Sleep(30 * time.Second)
	e.sb.Receiver.SetDown(false)
	waitDelivered(t, e, n, 4*time.Minute)
	ids := e.sb.Receiver.EventIDs()
	byV := e.sb.Receiver.ByVerification()
	if len(ids) != n || len(byV) != n {
		t.Fatalf("distinct event ids %d for %d verifications, want %d", len(ids), len(byV), n)
	}
	for v, ds := range byV {
		for _, d := range ds[1:] {
			if d.EventID != ds[0].EventID {
				t.Errorf("%s: two event ids", v)
			}
		}
	}
	if dead, _ := e.ins.ListArchivedTasks(e.cfg.Worker.Queues.Delivery.Name); len(dead) != 0 {
		t.Errorf("%d deliveries dead-lettered", len(dead))
	}
	t.Logf("receiver: %d requests for %d events", e.sb.Receiver.Requests(), n)
}

func waitFor(t *testing.T, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// natsMsgIDs waits for want messages on the stream and returns their
// Nats-Msg-Id headers, counted.
func natsMsgIDs(t *testing.T, url, stream string, want int) map[string]int {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var st jetstream.Stream
	waitFor(t, 60*time.Second, func() bool {
		st, err = js.Stream(ctx, stream)
		return err == nil && st.CachedInfo().State.Msgs >= uint64(want)
	})
	ids := map[string]int{}
	info := st.CachedInfo()
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		ids[m.Header.Get("Nats-Msg-Id")]++
	}
	return ids
}

// amqpQueue declares a direct exchange with a queue bound by key.
func amqpQueue(t *testing.T, srv *amqptest.Server, exchange, queue, key string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDeclare(exchange, amqp.ExchangeDirect, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(queue, key, exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	return ch
}

// amqpMessageIDs reads want messages from queue and counts their MessageIds.
func amqpMessageIDs(t *testing.T, ch *amqp.Channel, queue string, want int) map[string]int {
	t.Helper()
	ids := map[string]int{}
	deadline := time.Now().Add(60 * time.Second)
	for got := 0; got < want; {
		m, ok, err := ch.Get(queue, true)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d AMQP messages arrived", got, want)
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		ids[m.MessageId]++
		got++
	}
	return ids
}
