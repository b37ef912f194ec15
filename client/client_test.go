package client_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/client"
	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/sandbox"
)

func openClient(t *testing.T) *client.Client {
	t.Helper()
	srv := redistest.Start(t)
	p := sandbox.ConfigParams{
		RedisAddr: srv.Addr, AdvanceURL: "http://127.0.0.1:1", AccessKey: "k", SecretKey: "s",
		WebhookURL: "http://127.0.0.1:2", WebhookSecret: "whsec_" + strings.Repeat("QUFB", 8),
		HTTPAddr: "127.0.0.1:0", FirstDelay: time.Hour,
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := p.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	c, err := client.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestClientEnqueueStatusNudgeCancel(t *testing.T) {
	t.Parallel()
	c := openClient(t)
	ctx := context.Background()
	req := client.Request{Provider: "advance", ID: "sig-c1"}
	if out, err := c.Enqueue(ctx, req); err != nil || out != client.Queued {
		t.Fatalf("Enqueue = %s, %v", out, err)
	}
	if out, err := c.Enqueue(ctx, req); err != nil || out != client.Duplicate {
		t.Fatalf("second Enqueue = %s, %v", out, err)
	}
	st, err := c.Status(ctx, "advance", "sig-c1")
	if err != nil || st.State != client.StateWaiting || st.NextPollAt.IsZero() {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if res, err := c.Nudge(ctx, "advance", "sig-c1"); err != nil || res != client.NudgedNow {
		t.Fatalf("Nudge = %s, %v", res, err)
	}
	if err := c.Cancel(ctx, "advance", "sig-c1"); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if _, err := c.Status(ctx, "advance", "sig-c1"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("Status after Cancel: %v, want ErrNotFound", err)
	}
}

func TestClientValidatesLikeTheCLI(t *testing.T) {
	t.Parallel()
	c := openClient(t)
	bad := client.Request{Provider: "advance", ID: "has space", BizID: "x", Sink: "nope"}
	for name, err := range map[string]error{
		"Validate": c.Validate(bad),
		"Enqueue":  func() error { _, err := c.Enqueue(context.Background(), bad); return err }(),
	} {
		var fe *client.FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("%s: %v, want field errors", name, err)
		}
		for _, field := range []string{"id:", "biz_id:", "sink:"} {
			if !strings.Contains(err.Error(), field) {
				t.Errorf("%s: %v does not name %s", name, err, field)
			}
		}
	}
	if _, err := c.Status(context.Background(), "advance", "never"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("Status(unknown) = %v, want ErrNotFound", err)
	}
}
