package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/tasks"
)

// fuzzConfig configures both providers and two sinks, so that every kind of
// reference line can be valid. readBulk talks to no Redis.
const fuzzConfig = `
providers:
  advance: {}
  zoloz: {}
sinks:
  default: {type: webhook, url: "https://hooks.example.com/kyc", secret: "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="}
  audit: {type: webhook, url: "https://audit.example.com/kyc", secret: "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="}
default_sink: default
`

// personalMarkers stand for personal data pasted into a bulk file by
// mistake, in place of a reference.
var personalMarkers = []string{"TEST PERSON ALPHA", "1 TEST STREET", "Jane Q. Example", "1990/01/01"}

// FuzzReadBulk feeds arbitrary bulk files to readBulk. It must never panic;
// it returns either requests or an error, never both; every request it
// returns is valid and comes from one line that is exactly one JSON object;
// an error stays proportionate to the input and never repeats an id or
// biz_id value (where a misused file would hold personal data).
func FuzzReadBulk(f *testing.F) {
	path := filepath.Join(f.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(fuzzConfig), 0o600); err != nil {
		f.Fatal(err)
	}
	cfg, err := config.LoadForEnqueue(path)
	if err != nil {
		f.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	f.Cleanup(func() { _ = rdb.Close() })
	enq := tasks.NewEnqueuer(rdb, cfg)

	for _, s := range []string{
		// The README's example.
		`{"provider":"advance","id":"f302f5d2454a85c2"}
{"provider":"advance","id":"9a1b4c7d0e2f3a5b","sink":"default"}
{"provider":"zoloz","id":"G000000005FID20200509000000000001","biz_id":"onboarding-42"}
`,
		"{\"provider\":\"advance\",\"id\":\"a-1\"}\n\n  \n{\"provider\":\"advance\",\"id\":\"a-2\",\"sink\":\"audit\"}\r\n",
		`{"provider":"advance","id":"TEST PERSON ALPHA"}`,
		`{"provider":"zoloz","id":"G1","biz_id":"1 TEST STREET, 1990/01/01"}`,
		`{"provider":"advance","id":"a-1","biz_id":"x"}`,
		`{"provider":"acme","id":"a-1","sink":"nope"}`,
		`{"provider":"advance","id":"a-1","extra":"Jane Q. Example"}`,
		`{"provider":"advance","id":"a-1"} {"provider":"advance","id":"a-2"}`,
		`{"provider":"advance","id":"a-1"}}`,
		`["advance","a-1"]`,
		`{"provider":"advance","id":1}`,
		`{"provider":"advance","id":"` + strings.Repeat("x", 65) + `"}`,
		`{"provider":"advance","id":"a` + "\u00a0" + `b"}`,
		"{\"provider\":\"advance\",\"id\":\"a\xffb\"}",
		`{"provider":"advance"`,
		``,
		"\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		reqs, err := readBulk(bytes.NewReader(data), enq)
		if (reqs == nil) == (err == nil) {
			t.Fatalf("requests %v with error %v", reqs, err)
		}
		lines := splitLines(data)
		if err != nil {
			checkBulkError(t, lines, err.Error(), len(data))
			return
		}
		if len(reqs) > len(lines) {
			t.Fatalf("%d requests from %d lines", len(reqs), len(lines))
		}
		for _, r := range reqs {
			if _, err := enq.Normalize(r); err != nil {
				t.Fatalf("readBulk returned an invalid request %+v: %v", r, err)
			}
			if !bytes.Contains(data, []byte(r.ID)) {
				t.Fatalf("request id %q is not in the input", r.ID)
			}
		}
		for _, l := range lines {
			if l = bytes.TrimSpace(l); len(l) > 0 && !oneObject(l) {
				t.Fatalf("a file with line %q was accepted", l)
			}
		}
	})
}

// splitLines splits data the way bufio.Scanner's ScanLines does.
func splitLines(data []byte) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

// oneObject reports whether line is exactly one JSON object.
func oneObject(line []byte) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(line, &m) == nil && m != nil
}

// checkBulkError checks the error readBulk made from lines.
func checkBulkError(t *testing.T, lines [][]byte, msg string, size int) {
	t.Helper()
	if limit := 2*size + 400*(len(lines)+1); len(msg) > limit {
		t.Fatalf("error of %d bytes for %d input bytes: %.300s...", len(msg), size, msg)
	}
	// Values that readBulk may name (keys, provider, sink, anything in a
	// line that is not one clean object) against those it must never
	// repeat (id, biz_id).
	var echoable strings.Builder
	var private []string
	for _, l := range lines {
		var m map[string]any
		if json.Unmarshal(l, &m) != nil {
			echoable.Write(l)
			continue
		}
		for k, v := range m {
			echoable.WriteString(k + "\x00")
			s := fmt.Sprint(v)
			if strings.EqualFold(k, "id") || strings.EqualFold(k, "biz_id") {
				private = append(private, s)
				continue
			}
			echoable.WriteString(s + "\x00")
		}
	}
	for _, m := range personalMarkers {
		if !strings.Contains(msg, m) || strings.Contains(echoable.String(), m) {
			continue
		}
		for _, p := range private {
			if strings.Contains(p, m) {
				t.Fatalf("error repeats an id or biz_id value (%q): %s", m, msg)
			}
		}
	}
}
