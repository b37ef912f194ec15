package natstest_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kycpoller/kycpoller/internal/natstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func greeting(t *testing.T, srv *natstest.Server) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(srv.URL, "nats://"), time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("read INFO: %v", err)
	}
	return line
}

func TestStartServesJetStreamAndRestarts(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	if info := greeting(t, srv); !strings.Contains(info, `"jetstream":true`) {
		t.Fatalf("INFO without JetStream: %s", info)
	}
	url := srv.URL
	srv.Kill()
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "nats://"), time.Second); err == nil {
		t.Fatal("server still accepts connections after Kill")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if srv.URL != url {
		t.Errorf("URL %s after restart, want %s", srv.URL, url)
	}
	greeting(t, srv)
}

// A missing binary is an error that says which package to install.
func TestMissingBinaryNamesThePackage(t *testing.T) {
	t.Setenv("KYCPOLLER_NATS_SERVER", "/nonexistent/nats-server")
	_, err := natstest.StartServer(context.Background(), natstest.Options{})
	if !errors.Is(err, natstest.ErrNotInstalled) || !strings.Contains(err.Error(), "Debian's nats-server package") {
		t.Errorf("err = %v, want ErrNotInstalled naming the package", err)
	}
}
