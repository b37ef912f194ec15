package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/localredis"
)

// SentinelGroup is a master, one replica and sentinels watching them, each
// a private process on its own port.
type SentinelGroup struct {
	MasterName string
	Master     *localredis.Server
	Replica    *localredis.Server
	Sentinels  []*localredis.Server
}

// StartSentinel launches a master, a replica of it and n sentinels (quorum
// n/2+1) that declare the master down after one second of silence. It
// returns once the replica is in sync and every sentinel knows the replica
// and the other sentinels.
func StartSentinel(tb testing.TB, n int) *SentinelGroup {
	tb.Helper()
	g := &SentinelGroup{MasterName: "kycpoller"}
	g.Master = Start(tb)
	g.Replica = Start(tb, localredis.Options{ReplicaOf: g.Master.Addr})
	for range n {
		g.Sentinels = append(g.Sentinels, Start(tb, localredis.Options{Sentinel: &localredis.SentinelOptions{
			MasterName:      g.MasterName,
			MasterAddr:      g.Master.Addr,
			Quorum:          n/2 + 1,
			DownAfter:       time.Second,
			FailoverTimeout: 5 * time.Second,
		}}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	replica := redis.NewClient(&redis.Options{Addr: g.Replica.Addr})
	defer replica.Close()
	if err := waitFor(ctx, func() bool {
		info, err := replica.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	}); err != nil {
		tb.Fatalf("redistest: replica never synced with the master: %v", err)
	}
	for _, s := range g.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
		err := waitFor(ctx, func() bool {
			r, err := sc.Replicas(ctx, g.MasterName).Result()
			if err != nil || len(r) == 0 {
				return false
			}
			// A sentinel that does not know its peers cannot reach a
			// quorum or win the vote that starts a failover.
			peers, err := sc.Sentinels(ctx, g.MasterName).Result()
			return err == nil && len(peers) == n-1
		})
		_ = sc.Close()
		if err != nil {
			tb.Fatalf("redistest: sentinel %s never discovered the replica and its peers: %v", s.Addr, err)
		}
	}
	return g
}

// SentinelAddrs lists the sentinels' host:port.
func (g *SentinelGroup) SentinelAddrs() []string {
	addrs := make([]string, len(g.Sentinels))
	for i, s := range g.Sentinels {
		addrs[i] = s.Addr
	}
	return addrs
}

// MasterAddr asks the first sentinel that answers which server is the
// master now.
func (g *SentinelGroup) MasterAddr(ctx context.Context) (string, error) {
	var lastErr error
	for _, s := range g.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
		hp, err := sc.GetMasterAddrByName(ctx, g.MasterName).Result()
		_ = sc.Close()
		if err == nil && len(hp) == 2 {
			return net.JoinHostPort(hp[0], hp[1]), nil
		}
		lastErr = err
	}
	return "", fmt.Errorf("no sentinel names the master: %v", lastErr)
}

// WaitFailover waits until the sentinels name a master other than old.
func (g *SentinelGroup) WaitFailover(ctx context.Context, old string) (string, error) {
	var now string
	err := waitFor(ctx, func() bool {
		addr, err := g.MasterAddr(ctx)
		now = addr
		return err == nil && addr != old
	})
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(g.Sentinels[0].Dir, "redis.log"))
		return "", fmt.Errorf("no failover away from %s (master now %q): %w; first sentinel's log:\n%s", old, now, err, log)
	}
	return now, nil
}

func waitFor(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
