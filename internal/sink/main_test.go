package sink_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/kycpoller/kycpoller/internal/amqptest"
)

// rabbit is the package's RabbitMQ node, booted by the first test that
// needs it: a node takes seconds to start, so AMQP tests share it and keep
// apart by their exchanges and queues.
var rabbit amqptest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	// Stopped before the leak check: its process is watched by a goroutine.
	rabbit.Stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
