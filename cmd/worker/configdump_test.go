package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// The worker process logs its effective configuration at start-up, once,
// with every secret redacted: none of them appears anywhere in what the
// process writes, from start to shutdown.
func TestStartupConfigDumpRedactsSecrets(t *testing.T) {
	t.Parallel()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	text, err := sb.Params.Render()
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(sb.Params.ZolozPrivateKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		t.Fatal("no PEM block in the sandbox's ZOLOZ key")
	}
	zolozKey := base64.StdEncoding.EncodeToString(block.Bytes)
	encKey := make([]byte, 32)
	_, _ = rand.Read(encKey)
	secrets := map[string]string{
		"api token":               "dump-api-token-0123456789",
		"callback token":          "dump-callback-token-0123456789",
		"dashboard password":      "dump-dashboard-password-0123456789",
		"dashboard token":         "dump-dashboard-token-0123456789",
		"metrics token":           "dump-metrics-token-0123456789",
		"webhook query token":     "dump-webhook-query-token",
		"events encryption key":   base64.StdEncoding.EncodeToString(encKey),
		"ADVANCE.AI access key":   sb.Params.AccessKey,
		"ADVANCE.AI secret key":   sb.Params.SecretKey,
		"webhook secret":          strings.TrimPrefix(sb.Params.WebhookSecret, "whsec_"),
		"ZOLOZ merchant key (32)": zolozKey[100:132],
	}
	replace := strings.NewReplacer(
		`merchant_private_key_file: "`+sb.Params.ZolozPrivateKeyFile+`"`, `merchant_private_key: "`+zolozKey+`"`,
		`url: "`+sb.Params.WebhookURL+`/kyc"`, `url: "`+sb.Params.WebhookURL+`/kyc?token=`+secrets["webhook query token"]+`"`,
		`events: {retention: 24h}`, `events: {retention: 24h, encryption_key: "`+secrets["events encryption key"]+`"}`,
		`http: {addr: "`+sb.Params.HTTPAddr+`"}`, `http:
  addr: "`+sb.Params.HTTPAddr+`"
  metrics_token: "`+secrets["metrics token"]+`"
  dashboard:
    basic_auth: {username: ops, password: "`+secrets["dashboard password"]+`"}
    bearer_token: "`+secrets["dashboard token"]+`"
api: {tokens: ["`+secrets["api token"]+`"]}
callbacks: {advance: {token: "`+secrets["callback token"]+`"}}`,
	)
	withSecrets := replace.Replace(text)
	for _, s := range []string{"merchant_private_key:", "?token=", "encryption_key:", "metrics_token:", "bearer_token:", "api: {tokens"} {
		if !strings.Contains(withSecrets, s) {
			t.Fatalf("the configuration lacks %q: the sandbox's template changed?\n%s", s, withSecrets)
		}
	}
	path := filepath.Join(sb.Dir, "secrets.yaml")
	if err := os.WriteFile(path, []byte(withSecrets), 0o600); err != nil {
		t.Fatal(err)
	}

	p := startProc(t, path, sb.Params.HTTPAddr)
	time.Sleep(500 * time.Millisecond) // a few polls of nothing: more log lines to scan
	if err := p.stop(t, syscall.SIGTERM, 30*time.Second); err != nil {
		t.Fatalf("worker exit: %v", err)
	}
	logs := p.logs.String()

	var dumps []string
	for _, line := range strings.Split(logs, "\n") {
		var entry struct {
			Msg    string `json:"msg"`
			Config string `json:"config"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "configuration loaded" {
			dumps = append(dumps, entry.Config)
		}
	}
	if len(dumps) != 1 {
		t.Fatalf("%d start-up configuration dumps logged, want 1:\n%s", len(dumps), tail(logs, 20))
	}
	dump := dumps[0]
	for _, key := range []string{`"metrics_token":"[REDACTED]"`, `"bearer_token":"[REDACTED]"`, `"encryption_key":"[REDACTED]"`,
		`"merchant_private_key":"[REDACTED]"`, `"secret_key":"[REDACTED]"`, `"tokens":["[REDACTED]"]`} {
		if !strings.Contains(dump, key) {
			t.Errorf("the dump lacks %s:\n%s", key, dump)
		}
	}
	for name, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the %s appears in the worker's output", name)
		}
	}
}
