package worker_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// With events.encryption_key set, a full flow (poll, store, deliver) leaves
// no personal value anywhere in Redis, and the receiver still gets the
// result; without it the same scan finds them, which proves the scan looks
// where the events are.
func TestEncryptedEventsLeaveNothingPersonalInRedis(t *testing.T) {
	t.Parallel()
	personal := []string{advancefake.FakeFullName, advancefake.FakeIDNumber, advancefake.FakeBirthday, advancefake.FakeFullAddress, advancefake.FakeDocumentNumber}
	for _, encrypted := range []bool{false, true} {
		t.Run(fmt.Sprintf("encrypted=%v", encrypted), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Options{})
			e.sb.Advance.Register("enc-pass", advancefake.Script{Outcome: advancefake.OutcomePass})
			cfg := *e.cfg
			if encrypted {
				cfg.Events.EncryptionKey = config.Secret(base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
				if err := cfg.Validate(); err != nil {
					t.Fatal(err)
				}
			}
			e.startWorker(t, &cfg)
			e.enqueue(t, "enc-pass")
			waitDelivered(t, e, 1, 60*time.Second)

			dump := scanRedis(t, e.rdb)
			var found []string
			for _, p := range personal {
				if strings.Contains(dump, p) {
					found = append(found, p)
				}
			}
			switch {
			case encrypted && len(found) > 0:
				t.Errorf("Redis holds personal data %q", found)
			case !encrypted && len(found) == 0:
				t.Errorf("the scan found no personal data in unencrypted events: it proves nothing\n%s", dump)
			}
		})
	}
}

// scanRedis returns every key and value in the database, whatever its type.
func scanRedis(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	iter := rdb.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		typ := rdb.Type(ctx, k).Val()
		var v any
		var err error
		switch typ {
		case "string":
			v, err = rdb.Get(ctx, k).Result()
		case "hash":
			v, err = rdb.HGetAll(ctx, k).Result()
		case "list":
			v, err = rdb.LRange(ctx, k, 0, -1).Result()
		case "set":
			v, err = rdb.SMembers(ctx, k).Result()
		case "zset":
			v, err = rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
		case "stream":
			v, err = rdb.XRange(ctx, k, "-", "+").Result()
		case "none":
			continue // expired since the scan listed it
		default:
			t.Fatalf("key %s has type %s, which this scan cannot read", k, typ)
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("read %s: %v", k, err)
		}
		fmt.Fprintf(&b, "%s (%s): %v\n", k, typ, v)
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
