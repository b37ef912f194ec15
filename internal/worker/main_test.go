package worker_test

import (
	"os"
	"testing"

	"github.com/kycpoller/kycpoller/internal/amqptest"
)

// rabbit is this package's RabbitMQ node, shared by the tests that need one
// (a node takes seconds to boot); each test uses its own exchange and queue.
var rabbit amqptest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	rabbit.Stop()
	os.Exit(code)
}
