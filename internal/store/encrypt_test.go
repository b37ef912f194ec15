package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/store"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Fake personal data, recognisable wherever it lands.
var personal = []string{"TEST PERSON KILO", "K7788990", "1979-12-31", "42 CIPHER STREET", "/9j/4AAQSkZJRgABAQFAKEIMAGE"}

func personalResult() json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"overallResult": "PASS",
		"ocrInfo": map[string]string{
			"fullName": personal[0], "idNumber": personal[1], "birthday": personal[2], "address": personal[3],
		},
		"faceImage": personal[4],
	})
	return b
}

func key(b byte) []byte { return bytes.Repeat([]byte{b}, store.KeyBytes) }

func mustCipher(t *testing.T, k []byte, old ...[]byte) *store.Cipher {
	t.Helper()
	c, err := store.NewCipher(k, old...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recordFinal stores a final event with personal data for id.
func recordFinal(t *testing.T, s *store.Store, id string) *event.Event {
	t.Helper()
	ref := verification.Ref{Provider: "advance", ID: id}
	enq := time.UnixMilli(1_700_000_000_000)
	ev := event.New(ref, verification.Result{Final: true, Status: verification.StatusPass, ProviderStatus: "PASS", Data: personalResult()}, 1, enq, enq.Add(time.Second))
	if err := s.RecordFinal(context.Background(), ev, "default"); err != nil {
		t.Fatal(err)
	}
	return ev
}

// dumpRedis reads every key and value in the database, whatever its type.
func dumpRedis(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	iter := rdb.Scan(ctx, 0, "*", 100).Iterator()
	n := 0
	for iter.Next(ctx) {
		k := iter.Val()
		n++
		typ := rdb.Type(ctx, k).Val()
		fmt.Fprintf(&b, "%s (%s):", k, typ)
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
		default:
			t.Fatalf("key %s has type %s, which this scan cannot read", k, typ)
		}
		if err != nil {
			t.Fatalf("read %s: %v", k, err)
		}
		fmt.Fprintf(&b, "%v\n", v)
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the scan found no key at all")
	}
	return b.String()
}

// found lists the personal values in s.
func found(s string) []string {
	var out []string
	for _, p := range personal {
		if strings.Contains(s, p) {
			out = append(out, p)
		}
	}
	return out
}

func TestEncryptedEventsHoldNothingPersonalInRedis(t *testing.T) {
	t.Parallel()
	for _, encrypted := range []bool{false, true} {
		t.Run(fmt.Sprintf("encrypted=%v", encrypted), func(t *testing.T) {
			t.Parallel()
			rdb := redistest.Client(t, redistest.Start(t))
			opts := store.Options{StateTTL: time.Hour, EventTTL: 2 * time.Hour}
			if encrypted {
				opts.Cipher = mustCipher(t, key('k'))
			}
			s := store.New(rdb, opts)
			ev := recordFinal(t, s, "sig-personal")

			dump := dumpRedis(t, rdb)
			got := found(dump)
			if encrypted && len(got) > 0 {
				t.Errorf("Redis holds personal data %q:\n%s", got, dump)
			}
			if !encrypted && len(got) != len(personal) {
				// Proves that the scan sees stored events.
				t.Errorf("the scan found %q of %q in unencrypted events:\n%s", got, personal, dump)
			}

			for name, load := range map[string]func(context.Context, string) (*event.Event, error){"Event": s.Event, "PeekEvent": s.PeekEvent} {
				back, err := load(context.Background(), ev.ID)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if back.ID != ev.ID || !bytes.Equal(back.Data.Result, ev.Data.Result) {
					t.Errorf("%s = %+v, want the stored event", name, back)
				}
			}
		})
	}
}

func TestEncryptedRecordLayout(t *testing.T) {
	t.Parallel()
	rdb := redistest.Client(t, redistest.Start(t))
	k := key('L')
	s := store.New(rdb, store.Options{StateTTL: time.Hour, EventTTL: 2 * time.Hour, Cipher: mustCipher(t, k)})
	ev := recordFinal(t, s, "sig-layout")
	raw, err := rdb.Get(context.Background(), "kycpoller:event:"+ev.ID).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(k)
	wantID := hex.EncodeToString(sum[:])[:8]
	if store.KeyID(k) != wantID || string(raw[:8]) != wantID {
		t.Fatalf("record starts %q, key id %q, want %q", raw[:8], store.KeyID(k), wantID)
	}
	// key id + 12-byte nonce + ciphertext + 16-byte tag.
	plain, _ := json.Marshal(struct {
		ID    string       `json:"id"`
		Event *event.Event `json:"event"`
	}{ev.ID, ev})
	if want := 8 + 12 + len(plain) + 16; len(raw) != want {
		t.Errorf("record is %d bytes, want %d", len(raw), want)
	}
	// Two stores of the same event never repeat a nonce.
	recordFinal(t, s, "sig-layout")
	again, _ := rdb.Get(context.Background(), "kycpoller:event:"+ev.ID).Bytes()
	if bytes.Equal(raw[8:20], again[8:20]) {
		t.Error("the nonce repeated")
	}
}

func TestEncryptionKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := redistest.Client(t, redistest.Start(t))
	opts := func(c *store.Cipher) store.Options {
		return store.Options{StateTTL: time.Hour, EventTTL: 2 * time.Hour, Cipher: c}
	}
	plainEv := recordFinal(t, store.New(rdb, opts(nil)), "sig-plain")
	oldEv := recordFinal(t, store.New(rdb, opts(mustCipher(t, key('o')))), "sig-old")
	newEv := recordFinal(t, store.New(rdb, opts(mustCipher(t, key('n')))), "sig-new")

	rotated := store.New(rdb, opts(mustCipher(t, key('n'), key('o'))))
	for _, ev := range []*event.Event{plainEv, oldEv, newEv} {
		if _, err := rotated.Event(ctx, ev.ID); err != nil {
			t.Errorf("after rotation, %s: %v", ev.ID, err)
		}
	}

	for name, s := range map[string]*store.Store{
		"no key":    store.New(rdb, opts(nil)),
		"other key": store.New(rdb, opts(mustCipher(t, key('x')))),
		"new only":  store.New(rdb, opts(mustCipher(t, key('n')))),
	} {
		_, err := s.Event(ctx, oldEv.ID)
		if !errors.Is(err, store.ErrEncryptedEvent) {
			t.Errorf("%s: reading an event sealed with the old key: %v, want ErrEncryptedEvent", name, err)
		}
	}

	// A record copied under another event's key does not open.
	raw, _ := rdb.Get(ctx, "kycpoller:event:"+newEv.ID).Bytes()
	if err := rdb.Set(ctx, "kycpoller:event:"+oldEv.ID, raw, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := rotated.Event(ctx, oldEv.ID); err == nil || strings.Contains(err.Error(), personal[0]) {
		t.Errorf("a record moved to another event: %v, want an error", err)
	}
}

func TestEventRetentionIsTheTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := redistest.Client(t, redistest.Start(t))
	const retention = 3 * time.Hour
	s := store.New(rdb, store.Options{StateTTL: 5 * time.Hour, EventTTL: retention, Cipher: mustCipher(t, key('r'))})
	ev := recordFinal(t, s, "sig-ttl")
	eventKey := "kycpoller:event:" + ev.ID
	for k, max := range map[string]time.Duration{eventKey: retention, "kycpoller:v:advance:sig-ttl": 5 * time.Hour} {
		if d := rdb.PTTL(ctx, k).Val(); d <= max-time.Minute || d > max {
			t.Errorf("TTL of %s = %v, want about %v", k, d, max)
		}
	}
	// Every key the store wrote expires.
	for _, k := range rdb.Keys(ctx, "*").Val() {
		if d := rdb.PTTL(ctx, k).Val(); d <= 0 {
			t.Errorf("%s never expires (PTTL %v)", k, d)
		}
	}
	// Reading the event for a delivery restarts its retention.
	rdb.PExpire(ctx, eventKey, time.Minute)
	if _, err := s.Event(ctx, ev.ID); err != nil {
		t.Fatal(err)
	}
	if d := rdb.PTTL(ctx, eventKey).Val(); d <= retention-time.Minute {
		t.Errorf("after a read, TTL = %v, want the retention %v again", d, retention)
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	k := []byte("0123456789abcdefghijklmnopqrstuv")
	for name, s := range map[string]string{
		"base64":         base64.StdEncoding.EncodeToString(k),
		"base64 newline": base64.StdEncoding.EncodeToString(k) + "\n",
		"raw base64":     base64.RawStdEncoding.EncodeToString(k),
		"url base64":     base64.URLEncoding.EncodeToString(k),
		"hex":            hex.EncodeToString(k),
		"upper hex":      strings.ToUpper(hex.EncodeToString(k)),
	} {
		got, err := store.ParseKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("%s: %x, %v", name, got, err)
		}
	}
	for name, s := range map[string]string{
		"empty":      "",
		"short":      base64.StdEncoding.EncodeToString(k[:16]),
		"long":       base64.StdEncoding.EncodeToString(append(k, 'x')),
		"short hex":  hex.EncodeToString(k[:31]),
		"not base64": "secret-key-material-that-is-not-encoded!!",
	} {
		_, err := store.ParseKey(s)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if s != "" && strings.Contains(err.Error(), strings.TrimSpace(s)) {
			t.Errorf("%s: error echoes the key: %v", name, err)
		}
	}
	if _, err := store.NewCipher(k[:16]); err == nil {
		t.Error("NewCipher accepted a 16-byte key")
	}
}
