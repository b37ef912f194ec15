package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/kycpoller/kycpoller/internal/redisconn"
	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// testConfig writes a configuration for redisAddr and returns its path.
func testConfig(t *testing.T, redisAddr string) string {
	t.Helper()
	p := sandbox.ConfigParams{
		RedisAddr:     redisAddr,
		AdvanceURL:    "http://127.0.0.1:1",
		AccessKey:     "test-access",
		SecretKey:     "test-secret",
		WebhookURL:    "http://127.0.0.1:2",
		WebhookSecret: "whsec_" + strings.Repeat("QUFB", 8),
		HTTPAddr:      "127.0.0.1:0",
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := p.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// tasksIn counts every task in the poll queue, whatever its state.
func tasksIn(t *testing.T, redisAddr string) int {
	t.Helper()
	ins := asynq.NewInspector(asynq.RedisClientOpt{Addr: redisAddr})
	defer ins.Close()
	info, err := ins.GetQueueInfo("kyc_poll")
	if err != nil {
		return 0 // the queue does not exist: nothing was ever enqueued
	}
	return info.Size + info.Completed
}

func TestSingleEnqueueThenDuplicate(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	cfg := testConfig(t, srv.Addr)
	r := runCLI(t, "", "-config", cfg, "-provider", "advance", "-id", "f302f5d2454a85c2")
	if r.code != 0 || r.stdout != "queued advance/f302f5d2454a85c2\n" {
		t.Fatalf("first enqueue: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", "-config", cfg, "-provider", "advance", "-id", "f302f5d2454a85c2")
	if r.code != 0 || r.stdout != "duplicate advance/f302f5d2454a85c2\n" {
		t.Fatalf("second enqueue: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if n := tasksIn(t, srv.Addr); n != 1 {
		t.Fatalf("tasks in queue = %d, want 1", n)
	}
}

func TestBulkFromStdinAndFile(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	cfg := testConfig(t, srv.Addr)
	in := `{"provider":"advance","id":"a-1"}

{"provider":"advance","id":"a-2","sink":"default"}
{"provider":"advance","id":"a-1"}
`
	r := runCLI(t, in, "-config", cfg, "-file", "-")
	want := "queued advance/a-1\nqueued advance/a-2\nduplicate advance/a-1\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("bulk stdin: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	file := filepath.Join(t.TempDir(), "refs.jsonl")
	if err := os.WriteFile(file, []byte(`{"provider":"advance","id":"a-3"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", "-config", cfg, "-file", file)
	if r.code != 0 || r.stdout != "queued advance/a-3\n" {
		t.Fatalf("bulk file: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if n := tasksIn(t, srv.Addr); n != 3 {
		t.Fatalf("tasks in queue = %d, want 3", n)
	}
}

func TestInvalidInputExitsTwoAndEnqueuesNothing(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	cfg := testConfig(t, srv.Addr)
	long := strings.Repeat("x", 65)
	for name, tc := range map[string]struct {
		args   []string
		stdin  string
		stderr []string
	}{
		"empty id":         {args: []string{"-provider", "advance", "-id", ""}, stderr: []string{"id: is required"}},
		"id too long":      {args: []string{"-provider", "advance", "-id", long}, stderr: []string{"id: is 65 bytes, at most 64"}},
		"id with space":    {args: []string{"-provider", "advance", "-id", "a b"}, stderr: []string{"id: contains a non-printable or space"}},
		"id control char":  {args: []string{"-provider", "advance", "-id", "a\x01b"}, stderr: []string{"id: contains a non-printable"}},
		"unknown provider": {args: []string{"-provider", "acme", "-id", "x"}, stderr: []string{`provider: unknown provider "acme"`}},
		"zoloz not set up": {args: []string{"-provider", "zoloz", "-id", "x", "-biz-id", "b"}, stderr: []string{`provider "zoloz" is not configured`}},
		"unknown sink":     {args: []string{"-provider", "advance", "-id", "x", "-sink", "nope"}, stderr: []string{`sink: unknown sink "nope"`}},
		"biz id on advance": {args: []string{"-provider", "advance", "-id", "x", "-biz-id", "b"},
			stderr: []string{"biz_id: is only accepted"}},
		"both modes":     {args: []string{"-provider", "advance", "-id", "x", "-file", "-"}, stderr: []string{"give either"}},
		"stray argument": {args: []string{"-provider", "advance", "-id", "x", "extra"}, stderr: []string{`unexpected argument "extra"`}},
		"unknown flag":   {args: []string{"-nope"}, stderr: []string{"flag provided but not defined"}},
		"missing bulk file": {args: []string{"-file", filepath.Join(t.TempDir(), "none.jsonl")},
			stderr: []string{"open bulk file"}},
		"bulk with bad lines": {
			args: []string{"-file", "-"},
			stdin: `{"provider":"advance","id":"good-1"}
not json
{"provider":"advance","id":""}
{"provider":"advance","id":"good-2"}
{"provider":"advance","id":"x","extra":1}
{"provider":"advance","id":"` + long + `"}
`,
			stderr: []string{"nothing enqueued", "line 2: not a JSON object", "line 3: id: is required", `line 5: not a JSON object`, "line 6: id: is 65 bytes"},
		},
		"empty bulk": {args: []string{"-file", "-"}, stdin: "\n\n", stderr: []string{"no references"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, append([]string{"-config", cfg}, tc.args...)...)
			if r.code != 2 {
				t.Errorf("exit code %d, want 2 (stdout %q, stderr %q)", r.code, r.stdout, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			for _, s := range tc.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
		})
	}
	if n := tasksIn(t, srv.Addr); n != 0 {
		t.Fatalf("invalid input enqueued %d tasks", n)
	}
}

func TestInvalidConfigExitsTwo(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("redis: {addr: nowhere}\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "-config", bad, "-provider", "advance", "-id", "x")
	if r.code != 2 || !strings.Contains(r.stderr, "bogus") {
		t.Fatalf("code %d, stderr %q; want 2 naming the bad key", r.code, r.stderr)
	}
	r = runCLI(t, "", "-provider", "advance", "-id", "x")
	if r.code != 2 && os.Getenv("KYCPOLLER_CONFIG") == "" {
		t.Fatalf("no config: code %d, want 2", r.code)
	}
}

func TestUnreachableRedisExitsOne(t *testing.T) {
	t.Parallel()
	addr, err := sandbox.FreeAddr() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, addr)
	r := runCLI(t, "", "-config", cfg, "-provider", "advance", "-id", "x")
	if r.code != 1 || !strings.Contains(r.stderr, "redis unreachable") || r.stdout != "" {
		t.Fatalf("code %d, stdout %q, stderr %q; want 1 and a message naming redis", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, `{"provider":"advance","id":"x"}`, "-config", cfg, "-file", "-")
	if r.code != 1 {
		t.Fatalf("bulk: code %d, want 1", r.code)
	}
}

func TestMain(m *testing.M) {
	redisconn.RouteLogs(nil)
	os.Exit(m.Run())
}
