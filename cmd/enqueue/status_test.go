package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// delayedConfig is testConfig with the first poll an hour away, so that
// tasks stay scheduled (no worker runs in these tests).
func delayedConfig(t *testing.T, redisAddr string) string {
	t.Helper()
	p := sandbox.ConfigParams{
		RedisAddr: redisAddr, AdvanceURL: "http://127.0.0.1:1", AccessKey: "test-access", SecretKey: "test-secret",
		WebhookURL: "http://127.0.0.1:2", WebhookSecret: "whsec_" + strings.Repeat("QUFB", 8),
		HTTPAddr: "127.0.0.1:0", FirstDelay: time.Hour,
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := p.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestStatusNudgeCancel(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	cfg := delayedConfig(t, srv.Addr)
	ref := []string{"-config", cfg, "-provider", "advance", "-id", "sig-s1"}
	if r := runCLI(t, "", ref...); r.code != 0 {
		t.Fatalf("enqueue: %+v", r)
	}

	r := runCLI(t, "", append([]string{"status"}, ref...)...)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "waiting advance/sig-s1\n") || !strings.Contains(r.stdout, "next_poll_at:") {
		t.Fatalf("status: %+v", r)
	}
	r = runCLI(t, "", append([]string{"status", "-json"}, ref...)...)
	var st map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &st); r.code != 0 || err != nil || st["state"] != "waiting" || st["polls"] != 0.0 {
		t.Fatalf("status -json: %+v (%v)", r, err)
	}

	if r := runCLI(t, "", append([]string{"nudge"}, ref...)...); r.code != 0 || r.stdout != "nudged advance/sig-s1\n" {
		t.Fatalf("nudge: %+v", r)
	}
	if r := runCLI(t, "", append([]string{"nudge"}, ref...)...); r.code != 0 || r.stdout != "already_due advance/sig-s1\n" {
		t.Fatalf("second nudge: %+v", r)
	}
	if r := runCLI(t, "", append([]string{"cancel"}, ref...)...); r.code != 0 || r.stdout != "cancelled advance/sig-s1\n" {
		t.Fatalf("cancel: %+v", r)
	}
	for _, cmd := range []string{"status", "cancel", "nudge"} {
		r := runCLI(t, "", append([]string{cmd}, ref...)...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "not found") {
			t.Errorf("%s after cancel: %+v, want exit 1 and not found", cmd, r)
		}
	}
}

func TestControlCommandsRejectBadInput(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	cfg := testConfig(t, srv.Addr)
	for _, args := range [][]string{
		{"status", "-config", cfg, "-provider", "advance"},
		{"cancel", "-config", cfg, "-provider", "nope", "-id", "x"},
		{"nudge", "-config", cfg, "-provider", "advance", "-id", "has space"},
		{"status", "-config", cfg, "-provider", "advance", "-id", "x", "extra"},
		{"cancel", "-config", cfg, "-provider", "advance", "-id", "x", "-json"},
	} {
		if r := runCLI(t, "", args...); r.code != exitInvalid {
			t.Errorf("%v: %+v, want exit 2", args, r)
		}
	}
	r := runCLI(t, "", "status", "-config", cfg, "-provider", "advance", "-id", "has space")
	if !strings.Contains(r.stderr, "id:") {
		t.Errorf("error does not name the field: %q", r.stderr)
	}
}
