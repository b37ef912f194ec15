package redisstats

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Family is the memory of the keys of one family: the keys that differ only
// in an id.
type Family struct {
	Name  string
	Keys  int64
	Bytes int64
}

// KeyFamily names the family of a key: "kycpoller:event:*" for
// kycpoller:event:evt_..., "asynq:{kyc_poll}:t:*" for an asynq task hash;
// any other key is its own family.
func KeyFamily(key string) string {
	parts := strings.SplitN(key, ":", 4)
	switch {
	case parts[0] == "kycpoller" && len(parts) >= 3:
		return parts[0] + ":" + parts[1] + ":*"
	case parts[0] == "asynq" && len(parts) >= 4 && parts[2] == "t":
		return parts[0] + ":" + parts[1] + ":t:*"
	}
	return key
}

// MemoryByFamily scans every key and sums MEMORY USAGE per family, largest
// first. It sends one command per key (pipelined): run it after timing.
func MemoryByFamily(ctx context.Context, rdb redis.UniversalClient) ([]Family, error) {
	byName := map[string]*Family{}
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, "*", 1000).Result()
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		pipe := rdb.Pipeline()
		cmds := make([]*redis.IntCmd, len(keys))
		for i, k := range keys {
			cmds[i] = pipe.MemoryUsage(ctx, k, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return nil, fmt.Errorf("memory usage: %w", err)
		}
		for i, k := range keys {
			n, err := cmds[i].Result()
			if err != nil {
				continue // expired in between
			}
			name := KeyFamily(k)
			f := byName[name]
			if f == nil {
				f = &Family{Name: name}
				byName[name] = f
			}
			f.Keys++
			f.Bytes += n
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	out := make([]Family, 0, len(byName))
	for _, f := range byName {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bytes > out[j].Bytes })
	return out, nil
}
