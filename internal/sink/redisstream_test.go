package sink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/localredis"
	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/sink"
)

func newRedisStream(t *testing.T, opts sink.RedisStreamOptions) *sink.RedisStream {
	t.Helper()
	s, err := sink.NewRedisStream(opts)
	if err != nil {
		t.Fatalf("NewRedisStream: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestRedisStreamDeliver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := redistest.Client(t, redistest.Start(t))
	for _, enc := range []sink.Encoder{{}, {Format: sink.FormatCloudEvents}} {
		stream := "kycpoller:events:" + string(enc.Format)
		s := newRedisStream(t, sink.RedisStreamOptions{Client: c, Stream: stream, Encoder: enc})
		ev := testEvent("v-redis")
		if err := s.Deliver(ctx, ev); err != nil {
			t.Fatalf("%s: Deliver: %v", stream, err)
		}
		msgs, err := c.XRange(ctx, stream, "-", "+").Result()
		if err != nil {
			t.Fatalf("XRANGE: %v", err)
		}
		if len(msgs) != 1 {
			t.Fatalf("%s: %d entries, want 1", stream, len(msgs))
		}
		want, _, err := enc.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		v := msgs[0].Values
		if v["id"] != ev.ID || v["type"] != ev.Type || v["data"] != string(want) || len(v) != 3 {
			t.Errorf("%s: entry %v; want id %s, type %s, data %s", stream, v, ev.ID, ev.Type, want)
		}
	}
}

func TestRedisStreamTrimsApproximately(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := redistest.Client(t, redistest.Start(t))
	const maxLen, n = 10, 500
	s := newRedisStream(t, sink.RedisStreamOptions{Client: c, Stream: "trimmed", MaxLen: maxLen})
	untrimmed := newRedisStream(t, sink.RedisStreamOptions{Client: c, Stream: "untrimmed"})
	for i := range n {
		ev := testEvent(fmt.Sprintf("v-%03d", i))
		if err := s.Deliver(ctx, ev); err != nil {
			t.Fatalf("Deliver %d: %v", i, err)
		}
		if err := untrimmed.Deliver(ctx, ev); err != nil {
			t.Fatalf("Deliver %d: %v", i, err)
		}
	}
	// Approximate trimming drops whole nodes of the stream (at most
	// stream-node-max-entries, 100 by default): never below MaxLen, never
	// a full node above it.
	if got := c.XLen(ctx, "trimmed").Val(); got < maxLen || got > maxLen+100 {
		t.Errorf("XLEN trimmed = %d, want %d to %d", got, maxLen, maxLen+100)
	}
	if got := c.XLen(ctx, "untrimmed").Val(); got != n {
		t.Errorf("XLEN untrimmed = %d, want %d", got, n)
	}
	// The newest entries are the ones kept.
	last, err := c.XRevRangeN(ctx, "trimmed", "+", "-", 1).Result()
	if err != nil || len(last) != 1 || last[0].Values["id"] != testEvent("v-499").ID {
		t.Errorf("newest entry %v (%v), want the last event", last, err)
	}
}

// A Redis that is down fails deliveries with a retryable error; once it is
// back, deliveries go through again.
func TestRedisStreamDownThenBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = c.Close() })
	s := newRedisStream(t, sink.RedisStreamOptions{Client: c, Stream: "events"})

	if err := s.Deliver(ctx, testEvent("v-before")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	srv.Kill()
	start := time.Now()
	err := s.Deliver(ctx, testEvent("v-down"))
	retryable(t, err)
	if strings.Contains(err.Error(), personalMarker) {
		t.Errorf("error quotes event data: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a failed delivery took %v", d)
	}
	if err := srv.Restart(ctx, localredis.Options{}); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if err := s.Deliver(ctx, testEvent("v-after")); err != nil {
		t.Fatalf("Deliver after restart: %v", err)
	}
	msgs, err := c.XRange(ctx, "events", "-", "+").Result()
	if err != nil || len(msgs) != 1 || msgs[0].Values["id"] != testEvent("v-after").ID {
		t.Errorf("after restart the stream holds %v (%v), want the one event sent since", msgs, err)
	}
}

func TestRedisStreamConcurrentAndPermanentErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := redistest.Client(t, redistest.Start(t))
	s := newRedisStream(t, sink.RedisStreamOptions{Client: c, Stream: "events"})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Deliver(ctx, testEvent(fmt.Sprintf("v-%02d", i))); err != nil {
				t.Errorf("Deliver %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if n := c.XLen(ctx, "events").Val(); n != 20 {
		t.Errorf("XLEN = %d, want 20", n)
	}

	bad := testEvent("v-bad")
	bad.Data.Result = json.RawMessage(`{"name":"` + personalMarker + `"`)
	noID := testEvent("v-no-id")
	noID.ID = ""
	for name, ev := range map[string]*event.Event{"nil": nil, "no id": noID, "bad json": bad} {
		err := s.Deliver(ctx, ev)
		if !sink.IsPermanent(err) || strings.Contains(err.Error(), personalMarker) {
			t.Errorf("%s: err = %v, want permanent without data", name, err)
		}
	}
	if n := c.XLen(ctx, "events").Val(); n != 20 {
		t.Errorf("XLEN = %d after refused events, want 20", n)
	}
}

func TestNewRedisStreamValidatesOptions(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = c.Close() })
	for _, tc := range []struct {
		opts  sink.RedisStreamOptions
		field string
	}{
		{sink.RedisStreamOptions{Stream: "s"}, "Client"},
		{sink.RedisStreamOptions{Client: c}, "Stream"},
		{sink.RedisStreamOptions{Client: c, Stream: "s", MaxLen: -1}, "MaxLen"},
		{sink.RedisStreamOptions{Client: c, Stream: "s", Encoder: sink.Encoder{Format: "xml"}}, "Format"},
	} {
		_, err := sink.NewRedisStream(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: err = %v, want one naming %s", tc.opts, err, tc.field)
		}
	}
	if _, err := sink.NewRedisStream(sink.RedisStreamOptions{Client: c, Stream: "s"}); err != nil {
		t.Errorf("valid options: %v", err)
	}
}
