package amqptest_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.uber.org/goleak"

	"github.com/kycpoller/kycpoller/internal/amqptest"
)

var rabbit amqptest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	rabbit.Stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// The node is private: its own name and port, and it keeps a durable queue
// and its persistent messages across a clean restart and a crash.
func TestNodeIsPrivateAndKeepsDataAcrossRestarts(t *testing.T) {
	srv := rabbit.Get(t)
	if strings.HasSuffix(srv.Addr, ":5672") || !strings.HasPrefix(srv.Node, "kycptest-") {
		t.Fatalf("node %s on %s is not private", srv.Node, srv.Addr)
	}
	publish := func(body string) {
		t.Helper()
		conn, err := amqp.Dial(srv.URL)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ch.QueueDeclare("restart", true, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
		if err := ch.Confirm(false); err != nil {
			t.Fatal(err)
		}
		dc, err := ch.PublishWithDeferredConfirm("", "restart", true, false, amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte(body)})
		if err != nil || !dc.Wait() {
			t.Fatalf("publish %s: %v", body, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), amqptest.StartTimeout)
	defer cancel()
	// A clean stop first: a queue declared moments before a crash can be
	// lost by the broker, one that went through a clean stop is on disk.
	publish("before-shutdown")
	start := time.Now()
	srv.Shutdown()
	t.Logf("shutdown: %v", time.Since(start))
	start = time.Now()
	if err := srv.Restart(ctx); err != nil {
		t.Fatalf("Restart after Shutdown: %v", err)
	}
	t.Logf("restart after shutdown: %v", time.Since(start))
	// A confirmed persistent message survives a crash.
	publish("before-kill")
	srv.Kill()
	start = time.Now()
	if err := srv.Restart(ctx); err != nil {
		t.Fatalf("Restart after Kill: %v", err)
	}
	t.Logf("restart after kill: %v", time.Since(start))

	conn, err := amqp.Dial(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		d, ok, err := ch.Get("restart", true)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, string(d.Body))
	}
	if strings.Join(got, ",") != "before-shutdown,before-kill" {
		t.Errorf("queue holds %q, want before-shutdown, before-kill", got)
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	t.Parallel()
	srv := rabbit.Get(t)
	u := strings.Replace(srv.URL, srv.Password, "wrong", 1)
	conn, err := amqp.Dial(u)
	if err == nil {
		conn.Close()
		t.Fatal("a wrong password was accepted")
	}
}

// A missing binary is an error that says which package to install.
func TestMissingBinaryNamesThePackage(t *testing.T) {
	t.Setenv("KYCPOLLER_RABBITMQ_SERVER", "/nonexistent/rabbitmq-server")
	_, err := amqptest.StartServer(context.Background(), amqptest.Options{})
	if !errors.Is(err, amqptest.ErrNotInstalled) || !strings.Contains(err.Error(), "Debian's rabbitmq-server package") {
		t.Errorf("err = %v, want ErrNotInstalled naming the package", err)
	}
}
