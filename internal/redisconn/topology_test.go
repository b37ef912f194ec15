package redisconn_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/redisconn"
	"github.com/kycpoller/kycpoller/internal/redistest"
)

func open(t *testing.T, cfg config.Redis) redis.UniversalClient {
	t.Helper()
	rdb, err := redisconn.New(cfg, 4)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func roundTrip(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	if err := redisconn.Ping(ctx, rdb, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET = %q, %v", got, err)
	}
}

// A TLS-only redis-server is reached with tls.enabled and ca_file, with a
// rediss:// url, and with a client certificate when the server requires
// one; a client that does not trust the server's CA, or speaks plain TCP,
// is refused.
func TestOpenTLS(t *testing.T) {
	t.Parallel()
	certs := redistest.NewCerts(t)
	srv := redistest.StartTLS(t, certs, false)
	_, port, _ := net.SplitHostPort(srv.Addr)

	t.Run("addr", func(t *testing.T) {
		roundTrip(t, open(t, config.Redis{Addr: srv.Addr, TLS: config.RedisTLS{Enabled: true, CAFile: certs.CAFile}}))
	})
	t.Run("rediss url", func(t *testing.T) {
		// The certificate names localhost: the url's host is checked.
		roundTrip(t, open(t, config.Redis{URL: config.Secret("rediss://localhost:" + port + "/3"), TLS: config.RedisTLS{CAFile: certs.CAFile}}))
	})
	t.Run("server name", func(t *testing.T) {
		rdb := open(t, config.Redis{Addr: srv.Addr, TLS: config.RedisTLS{Enabled: true, CAFile: certs.CAFile, ServerName: "redis.example.com"}})
		if err := redisconn.Ping(context.Background(), rdb, 5*time.Second); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("PING with a server name the certificate does not carry: %v, want a certificate error", err)
		}
	})
	t.Run("untrusted CA", func(t *testing.T) {
		other := redistest.NewCerts(t)
		rdb := open(t, config.Redis{Addr: srv.Addr, TLS: config.RedisTLS{Enabled: true, CAFile: other.CAFile}})
		if err := redisconn.Ping(context.Background(), rdb, 5*time.Second); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("PING trusting another CA: %v, want a certificate error", err)
		}
	})
	t.Run("insecure skip verify", func(t *testing.T) {
		roundTrip(t, open(t, config.Redis{Addr: srv.Addr, TLS: config.RedisTLS{Enabled: true, InsecureSkipVerify: true}}))
	})
	t.Run("plain", func(t *testing.T) {
		rdb := open(t, config.Redis{Addr: srv.Addr, ReadTimeout: 500 * time.Millisecond})
		if err := redisconn.Ping(context.Background(), rdb, 2*time.Second); err == nil {
			t.Error("PING in plain TCP to a TLS port succeeded")
		}
	})

	t.Run("client certificate", func(t *testing.T) {
		mtls := redistest.StartTLS(t, certs, true)
		roundTrip(t, open(t, config.Redis{Addr: mtls.Addr, TLS: config.RedisTLS{
			Enabled: true, CAFile: certs.CAFile, CertFile: certs.ClientCert, KeyFile: certs.ClientKey,
		}}))
		rdb := open(t, config.Redis{Addr: mtls.Addr, TLS: config.RedisTLS{Enabled: true, CAFile: certs.CAFile}})
		if err := redisconn.Ping(context.Background(), rdb, 5*time.Second); err == nil {
			t.Error("PING without a client certificate to a server requiring one succeeded")
		}
	})
}

// asynq runs over the TLS connection: a task enqueued through it is seen by
// an inspector on another TLS connection.
func TestAsynqOverTLS(t *testing.T) {
	t.Parallel()
	certs := redistest.NewCerts(t)
	srv := redistest.StartTLS(t, certs, false)
	cfg := config.Redis{Addr: srv.Addr, TLS: config.RedisTLS{Enabled: true, CAFile: certs.CAFile}}
	client := asynq.NewClientFromRedisClient(open(t, cfg))
	if _, err := client.Enqueue(asynq.NewTask("t", []byte("{}")), asynq.Queue("q"), asynq.TaskID("tls-1")); err != nil {
		t.Fatalf("enqueue over TLS: %v", err)
	}
	info, err := asynq.NewInspectorFromRedisClient(open(t, cfg)).GetTaskInfo("q", "tls-1")
	if err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("task over TLS: %+v, %v", info, err)
	}
}

// A bad TLS file is reported by New with the key at fault, and by Open at
// the first command.
func TestOpenReportsTLSFileErrors(t *testing.T) {
	t.Parallel()
	cfg := config.Redis{Addr: "127.0.0.1:1", TLS: config.RedisTLS{Enabled: true, CAFile: "/nonexistent/ca.pem"}}
	if _, err := redisconn.New(cfg, 1); err == nil || !strings.Contains(err.Error(), "redis.tls.ca_file") {
		t.Errorf("New: %v, want an error naming redis.tls.ca_file", err)
	}
	rdb := redisconn.Open(cfg, 1)
	defer rdb.Close()
	err := redisconn.Ping(context.Background(), rdb, time.Second)
	if err == nil || !strings.Contains(err.Error(), "redis.tls.ca_file") {
		t.Errorf("Ping through Open: %v, want an error naming redis.tls.ca_file", err)
	}
}

// A sentinel configuration reaches the master the sentinels name: writes
// land on the master and reach the replica.
func TestOpenSentinel(t *testing.T) {
	t.Parallel()
	g := redistest.StartSentinel(t, 1)
	rdb := open(t, config.Redis{Sentinel: config.RedisSentinel{MasterName: g.MasterName, Addrs: g.SentinelAddrs()}})
	roundTrip(t, rdb)
	if got, err := redistest.Client(t, g.Master).Get(context.Background(), "k").Result(); err != nil || got != "v" {
		t.Errorf("master GET = %q, %v; want the value written through the sentinel client", got, err)
	}
	if _, err := redisconn.New(config.Redis{Sentinel: config.RedisSentinel{MasterName: "unknown", Addrs: g.SentinelAddrs()}}, 1); err != nil {
		t.Fatal(err)
	}
	bad := open(t, config.Redis{Sentinel: config.RedisSentinel{MasterName: "unknown", Addrs: g.SentinelAddrs()}})
	if err := redisconn.Ping(context.Background(), bad, 2*time.Second); err == nil {
		t.Error("PING for a master no sentinel knows succeeded")
	}
}

// Each topology gets the client type asynq and go-redis expect. A cluster
// is not started here: it is checked by configuration validation and this.
func TestNewPicksClientPerTopology(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  config.Redis
		want string
	}{
		{config.Redis{Addr: "127.0.0.1:6379"}, "*redis.Client"},
		{config.Redis{URL: "redis://127.0.0.1:6379/2"}, "*redis.Client"},
		{config.Redis{Sentinel: config.RedisSentinel{MasterName: "m", Addrs: []string{"127.0.0.1:26379"}}}, "*redis.Client"},
		{config.Redis{Cluster: config.RedisCluster{Addrs: []string{"127.0.0.1:7000", "127.0.0.1:7001"}}}, "*redis.ClusterClient"},
	}
	for _, tt := range tests {
		rdb, err := redisconn.New(tt.cfg, 1)
		if err != nil {
			t.Fatalf("New(%s): %v", tt.cfg.Topology(), err)
		}
		var got string
		switch rdb.(type) {
		case *redis.Client:
			got = "*redis.Client"
		case *redis.ClusterClient:
			got = "*redis.ClusterClient"
		}
		if got != tt.want {
			t.Errorf("New(%s) = %T, want %s", tt.cfg.Topology(), rdb, tt.want)
		}
		if c, ok := rdb.(*redis.Client); ok && tt.cfg.URL != "" && c.Options().DB != 2 {
			t.Errorf("url's database: DB = %d, want 2", c.Options().DB)
		}
		_ = rdb.Close()
	}
	if _, err := redisconn.New(config.Redis{URL: "redis://h:6379/x"}, 1); err == nil || strings.Contains(err.Error(), "h:6379") {
		t.Errorf("bad url: %v, want an error that does not repeat the url", err)
	}
}
