package redisstats

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/redistest"
)

func TestParse(t *testing.T) {
	info := "# Server\r\nredis_version:7.0.15\r\nprocess_id:4242\r\n\r\n# Memory\r\nused_memory:1048576\r\n" +
		"# Stats\r\ntotal_commands_processed:12\r\n# Commandstats\r\n" +
		"cmdstat_evalsha:calls=3,usec=102,usec_per_call=34.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_config|resetstat:calls=1,usec=84,usec_per_call=84.00,rejected_calls=0,failed_calls=0\r\n"
	s, err := Parse(info)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != "7.0.15" || s.PID != 4242 || s.UsedMemory != 1<<20 || s.TotalCommands != 12 {
		t.Errorf("got %+v", s)
	}
	if s.Calls["evalsha"] != 3 || s.Calls["config|resetstat"] != 1 {
		t.Errorf("calls %v", s.Calls)
	}
	if _, err := Parse("cmdstat_get:usec=3\r\n"); err == nil {
		t.Error("no error for a cmdstat line without calls=")
	}
}

func TestParseMonitorLine(t *testing.T) {
	for line, want := range map[string][2]string{
		`+1700000000.123456 [0 127.0.0.1:5555] "EVALSHA" "abc" "1"`: {"127.0.0.1:5555", "evalsha"},
		`+1700000000.123456 [0 lua] "hset" "k" "f" "v"`:             {"lua", "hset"},
		`+1700000000.123456 [3 unix:/tmp/r.sock] "get" "k"`:         {"unix:/tmp/r.sock", "get"},
	} {
		src, name, ok := ParseMonitorLine([]byte(line))
		if !ok || src != want[0] || name != want[1] {
			t.Errorf("ParseMonitorLine(%s) = %q %q %v, want %q %q", line, src, name, ok, want[0], want[1])
		}
	}
	if _, _, ok := ParseMonitorLine([]byte("+OK")); ok {
		t.Error("+OK parsed as a command")
	}
}

func TestKeyFamily(t *testing.T) {
	for key, want := range map[string]string{
		"kycpoller:event:evt_ABC":                "kycpoller:event:*",
		"kycpoller:v:advance:pass-0s-1":          "kycpoller:v:*",
		"asynq:{kyc_poll}:t:poll:advance:x":      "asynq:{kyc_poll}:t:*",
		"asynq:{kyc_poll}:completed":             "asynq:{kyc_poll}:completed",
		"kycpoller:token:advance":                "kycpoller:token:*",
		"asynq:servers:{host:1:abc}":             "asynq:servers:{host:1:abc}",
		"asynq:{kyc_delivery}:t:deliver:default": "asynq:{kyc_delivery}:t:*",
	} {
		if got := KeyFamily(key); got != want {
			t.Errorf("KeyFamily(%q) = %q, want %q", key, got, want)
		}
	}
}

// TestCountsOnRealRedis checks what the package says about Redis 7: INFO
// counts the commands a script runs as well as the EVALSHA; MONITOR tells
// them apart.
func TestCountsOnRealRedis(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redistest.Client(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	script := redis.NewScript(`redis.call('SET', KEYS[1], '1'); redis.call('GET', KEYS[1]); return redis.call('INCR', KEYS[2])`)
	if err := script.Load(ctx, rdb).Err(); err != nil {
		t.Fatal(err)
	}
	before, err := Take(ctx, rdb)
	if err != nil {
		t.Fatal(err)
	}
	m, err := StartMonitor(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := script.EvalSha(ctx, rdb, []string{"a", "b"}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.HSet(ctx, "h", "f", "v").Err(); err != nil {
		t.Fatal(err)
	}
	// MONITOR output is asynchronous: wait (bounded) until the last
	// command shows.
	var counts Counts
	for i := 0; ; i++ {
		m.mu.Lock()
		seen := m.counts.Client["hset"]
		m.mu.Unlock()
		if seen == 1 || i == 200 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if counts, err = m.Stop(); err != nil {
		t.Fatal(err)
	}
	after, err := Take(ctx, rdb)
	if err != nil {
		t.Fatal(err)
	}
	d := after.Sub(before)
	if got := d.Total(); got != 5*4+1 {
		t.Errorf("INFO delta total = %d, want 21 (5 EVALSHA + 15 script commands + 1 HSET); calls %v", got, d.Calls)
	}
	client, scripted := counts.Total()
	if client != 6 || scripted != 15 {
		t.Errorf("MONITOR: %d client-issued, %d script-run, want 6 and 15: %+v", client, scripted, counts)
	}
	if s := counts.PerUnit(5); !strings.HasPrefix(s, "evalsha 1.0, hset 0.2 | scripts: get 1.0, incr 1.0, set 1.0") {
		t.Errorf("PerUnit = %q", s)
	}
	if after.Version == "" || after.PID == 0 || after.UsedMemory == 0 {
		t.Errorf("snapshot without server fields: %+v", after)
	}
}
