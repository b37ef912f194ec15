package stdwebhook_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kycpoller/kycpoller/internal/stdwebhook"
)

func secret(b byte, n int) string {
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune(b)), n)))
}

// The official library is an independent implementation: each of our
// signatures must verify with it, also during a rotation with two secrets.
func TestSignVerifiesWithOfficialLibrary(t *testing.T) {
	t.Parallel()
	oldSec, newSec := secret('a', 32), secret('b', 24)
	signer, err := stdwebhook.NewSigner(oldSec, newSec)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"verification.completed","data":{}}`)
	now := time.Now()
	sig := signer.Sign("evt_1", now, body)
	if n := len(strings.Fields(sig)); n != 2 {
		t.Fatalf("signature header has %d signatures, want 2: %q", n, sig)
	}
	h := http.Header{}
	h.Set(stdwebhook.HeaderID, "evt_1")
	h.Set(stdwebhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(stdwebhook.HeaderSignature, sig)
	for _, sec := range []string{oldSec, newSec} {
		wh, err := standardwebhooks.NewWebhook(sec)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("official verifier rejected our signature: %v", err)
		}
	}
	other, _ := standardwebhooks.NewWebhook(secret('c', 32))
	if err := other.Verify(body, h); err == nil {
		t.Error("a third secret verified the signature")
	}
	wh, _ := standardwebhooks.NewWebhook(oldSec)
	if err := wh.Verify(append([]byte(nil), append(body, ' ')...), h); err == nil {
		t.Error("a changed body verified")
	}
}

func TestParseSecretRejectsBadSecretsWithoutEchoingThem(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]string{
		"empty":     "",
		"not b64":   "whsec_!!!not-base64!!!",
		"too short": secret('x', 10),
		"too long":  secret('x', 65),
	} {
		_, err := stdwebhook.ParseSecret(s)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if s != "" && strings.Contains(err.Error(), strings.TrimPrefix(s, "whsec_")) {
			t.Errorf("%s: error echoes the secret: %v", name, err)
		}
	}
	if _, err := stdwebhook.ParseSecret(secret('k', 32)); err != nil {
		t.Errorf("valid secret rejected: %v", err)
	}
	if _, err := stdwebhook.ParseSecret(strings.TrimPrefix(secret('k', 32), "whsec_")); err != nil {
		t.Errorf("valid secret without prefix rejected: %v", err)
	}
}
