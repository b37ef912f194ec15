package stdwebhook_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kycpoller/kycpoller/internal/stdwebhook"
)

// fuzzSecret turns arbitrary bytes into a valid secret: the bytes padded or
// cut to the length bounds of the specification.
func fuzzSecret(raw []byte) string {
	for len(raw) < stdwebhook.MinSecretBytes {
		raw = append(raw, byte(len(raw)))
	}
	if len(raw) > stdwebhook.MaxSecretBytes {
		raw = raw[:stdwebhook.MaxSecretBytes]
	}
	return stdwebhook.SecretPrefix + base64.StdEncoding.EncodeToString(raw)
}

// FuzzSignVerify signs arbitrary (id, timestamp, body) triples with one or
// two secrets and checks them with the official Standard Webhooks library:
// every secret verifies, and a changed body, id, timestamp or secret does
// not. Signing must never panic, and the header is bounded: one
// "v1,<44 base64 chars>" per secret.
func FuzzSignVerify(f *testing.F) {
	body := []byte(`{"type":"verification.completed","timestamp":"2026-11-22T10:15:03.512Z","data":{"provider":"advance","verification_id":"f302f5d2454a85c2","status":"PASS","provider_status":"PASS","error_code":"SUCCESS","polls":4,"result":{"overallResult":"PASS"}}}`)
	f.Add("evt_00000000000000000000000000", int64(1795428903), body, []byte("0123456789abcdef01234567"), []byte{})
	f.Add("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", int64(1614265330), []byte(`{"test": 2432232314}`), bytes.Repeat([]byte{'k'}, 32), bytes.Repeat([]byte{'o'}, 64))
	f.Add("evt_x", int64(0), []byte{}, []byte{0}, []byte{0xff})
	f.Add("id with spaces.and.dots", int64(-1), []byte("\x00\xff\n"), []byte("short"), bytes.Repeat([]byte{1}, 80))
	f.Fuzz(func(t *testing.T, id string, unix int64, body, key1, key2 []byte) {
		if id == "" || strings.ContainsAny(id, "\r\n") || unix < 0 || unix > 1<<40 {
			// An empty id never verifies (the header is required); ids are
			// ours and never hold line breaks; timestamps are Unix
			// seconds of this era.
			return
		}
		secrets := []string{fuzzSecret(key1)}
		if len(key2) > 0 {
			secrets = append(secrets, fuzzSecret(key2))
		}
		signer, err := stdwebhook.NewSigner(secrets...)
		if err != nil {
			t.Fatalf("NewSigner rejected valid secrets: %v", err)
		}
		ts := time.Unix(unix, 0)
		sig := signer.Sign(id, ts, body)
		if want := len(secrets)*len("v1,") + len(secrets)*44 + len(secrets) - 1; len(sig) != want {
			t.Fatalf("signature header is %d bytes, want %d: %q", len(sig), want, sig)
		}
		h := http.Header{}
		h.Set(stdwebhook.HeaderID, id)
		h.Set(stdwebhook.HeaderTimestamp, strconv.FormatInt(unix, 10))
		h.Set(stdwebhook.HeaderSignature, sig)
		for _, sec := range secrets {
			wh, err := standardwebhooks.NewWebhook(sec)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.VerifyIgnoringTimestamp(body, h); err != nil {
				t.Fatalf("official verifier rejected our signature: %v", err)
			}
			if err := wh.VerifyIgnoringTimestamp(append(append([]byte(nil), body...), '!'), h); err == nil {
				t.Fatal("a changed body verified")
			}
			h2 := h.Clone()
			h2.Set(stdwebhook.HeaderTimestamp, strconv.FormatInt(unix+1, 10))
			if err := wh.VerifyIgnoringTimestamp(body, h2); err == nil {
				t.Fatal("a changed timestamp verified")
			}
			h2 = h.Clone()
			h2.Set(stdwebhook.HeaderID, id+"x")
			if err := wh.VerifyIgnoringTimestamp(body, h2); err == nil {
				t.Fatal("a changed id verified")
			}
		}
		other := append([]byte("other-secret-"), key1...)
		if fuzzSecret(other) != secrets[0] && (len(secrets) == 1 || fuzzSecret(other) != secrets[1]) {
			wh, _ := standardwebhooks.NewWebhook(fuzzSecret(other))
			if err := wh.VerifyIgnoringTimestamp(body, h); err == nil {
				t.Fatal("a secret that signed nothing verified")
			}
		}
		// Timestamps within the tolerance also pass the full check.
		now := time.Now()
		h.Set(stdwebhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(stdwebhook.HeaderSignature, signer.Sign(id, now, body))
		wh, _ := standardwebhooks.NewWebhook(secrets[len(secrets)-1])
		if err := wh.Verify(body, h); err != nil {
			t.Fatalf("official verifier rejected a current signature: %v", err)
		}
	})
}
