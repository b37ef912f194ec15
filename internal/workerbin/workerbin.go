// Package workerbin builds the worker binary once for the tests that run it
// as a separate process (SIGKILL, SIGTERM, chaos, benchmark smoke tests).
package workerbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Build compiles the main package in dir (relative to the calling test's
// package, e.g. "../../cmd/worker") into a fresh temporary directory. It
// returns the binary's path and a function that removes the directory.
func Build(dir string) (bin string, cleanup func(), err error) {
	tmp, err := os.MkdirTemp("", "kycpoller-worker-bin-")
	if err != nil {
		return "", nil, fmt.Errorf("worker binary dir: %w", err)
	}
	cleanup = func() { _ = os.RemoveAll(tmp) }
	bin = filepath.Join(tmp, "worker")
	if out, err := exec.Command("go", "build", "-o", bin, dir).CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("build worker: %w\n%s", err, out)
	}
	return bin, cleanup, nil
}

// Main is the body of a TestMain: it builds dir into *bin, runs the tests,
// removes the binary and returns the exit code for os.Exit.
func Main(m *testing.M, dir string, bin *string) int {
	path, cleanup, err := Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	*bin = path
	return m.Run()
}
