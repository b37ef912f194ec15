package advancefake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type reply struct {
	status int
	header http.Header
	body   []byte
	env    struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
}

func post(t *testing.T, url, token string, body any) reply {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-ACCESS-TOKEN", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, header: resp.Header}
	if r.body, err = io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(r.body, &r.env)
	return r
}

func sign(ak, sk, ts string) string {
	sum := sha256.Sum256([]byte(ak + sk + ts))
	return hex.EncodeToString(sum[:])
}

func tokenBody(ak, sk string, now time.Time) map[string]any {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	return map[string]any{"accessKey": ak, "timestamp": ts, "signature": sign(ak, sk, ts), "periodSecond": 3600}
}

// getToken fetches a token and fails the test unless one is issued.
func getToken(t *testing.T, s *Server, now time.Time) string {
	t.Helper()
	r := post(t, s.URL()+TokenPath, "", tokenBody(s.opts.AccessKey, s.opts.SecretKey, now))
	if r.env.Code != "SUCCESS" {
		t.Fatalf("token request: code %q", r.env.Code)
	}
	var d struct {
		Token       string `json:"token"`
		ExpiredTime int64  `json:"expiredTime"`
	}
	if err := json.Unmarshal(r.env.Data, &d); err != nil || d.Token == "" || d.ExpiredTime == 0 {
		t.Fatalf("token data %s: %v", r.env.Data, err)
	}
	return d.Token
}

func getResult(t *testing.T, s *Server, token, id string) reply {
	t.Helper()
	return post(t, s.URL()+GetResultPath, token, map[string]string{"signatureId": id})
}

func TestTokenRequests(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := Start(t, Options{AccessKey: "ak", SecretKey: "sk", Now: clk.Now})
	now := clk.Now()
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	old := strconv.FormatInt(now.Add(-301*time.Second).UnixMilli(), 10)

	tests := []struct {
		name string
		body any
		want string
	}{
		{"timestamp as string", tokenBody("ak", "sk", now), "SUCCESS"},
		{"timestamp as number", map[string]any{"accessKey": "ak", "timestamp": now.UnixMilli(), "signature": sign("ak", "sk", ts)}, "SUCCESS"},
		{"period as string", map[string]any{"accessKey": "ak", "timestamp": ts, "signature": sign("ak", "sk", ts), "periodSecond": "120"}, "SUCCESS"},
		{"wrong secret", tokenBody("ak", "other", now), "PARAMETER_ERROR"},
		{"wrong access key", tokenBody("other", "sk", now), "PARAMETER_ERROR"},
		{"uppercase signature", map[string]any{"accessKey": "ak", "timestamp": ts, "signature": strings.ToUpper(sign("ak", "sk", ts))}, "PARAMETER_ERROR"},
		{"old timestamp", map[string]any{"accessKey": "ak", "timestamp": old, "signature": sign("ak", "sk", old)}, "PARAMETER_ERROR"},
		{"seconds timestamp", map[string]any{"accessKey": "ak", "timestamp": ts[:10], "signature": sign("ak", "sk", ts[:10])}, "PARAMETER_ERROR"},
		{"period too short", map[string]any{"accessKey": "ak", "timestamp": ts, "signature": sign("ak", "sk", ts), "periodSecond": 59}, "PARAMETER_ERROR"},
		{"missing signature", map[string]any{"accessKey": "ak", "timestamp": ts}, "PARAMETER_ERROR"},
		{"not JSON", "{", "PARAMETER_ERROR"},
	}
	issued := 0
	for _, tt := range tests {
		r := post(t, s.URL()+TokenPath, "", tt.body)
		if r.status != http.StatusOK || r.env.Code != tt.want {
			t.Errorf("%s: HTTP %d code %q, want 200 %q", tt.name, r.status, r.env.Code, tt.want)
		}
		if tt.want == "SUCCESS" {
			issued++
		}
	}
	if got := s.TokenRequests(); got != issued {
		t.Errorf("TokenRequests = %d, want %d", got, issued)
	}
}

func TestTokenLifetime(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := Start(t, Options{TokenTTL: 2 * time.Minute, Now: clk.Now})
	s.Register("id-1", Script{})
	tok := getToken(t, s, clk.Now())

	if r := getResult(t, s, tok, "id-1"); r.env.Code != "SUCCESS" {
		t.Fatalf("fresh token: code %q", r.env.Code)
	}
	clk.Add(2 * time.Minute)
	if r := getResult(t, s, tok, "id-1"); r.env.Code != "IAM_FAILED" {
		t.Fatalf("expired token: code %q, want IAM_FAILED", r.env.Code)
	}
	if r := getResult(t, s, "made-up", "id-1"); r.env.Code != "IAM_FAILED" {
		t.Fatalf("unknown token: code %q, want IAM_FAILED", r.env.Code)
	}
	if r := getResult(t, s, "", "id-1"); r.env.Code != "IAM_FAILED" {
		t.Fatalf("no token: code %q, want IAM_FAILED", r.env.Code)
	}

	// A shorter periodSecond wins over TokenTTL.
	r := post(t, s.URL()+TokenPath, "", map[string]any{
		"accessKey": DefaultAccessKey, "timestamp": strconv.FormatInt(clk.Now().UnixMilli(), 10),
		"signature":    sign(DefaultAccessKey, DefaultSecretKey, strconv.FormatInt(clk.Now().UnixMilli(), 10)),
		"periodSecond": 60,
	})
	var d struct{ ExpiredTime int64 }
	_ = json.Unmarshal(r.env.Data, &d)
	if want := clk.Now().Add(time.Minute).UnixMilli(); d.ExpiredTime != want {
		t.Errorf("expiredTime = %d, want %d", d.ExpiredTime, want)
	}
}

func TestInvalidateTokens(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	s.Register("id-1", Script{})
	tok := getToken(t, s, time.Now())
	s.InvalidateTokens()
	if r := getResult(t, s, tok, "id-1"); r.env.Code != "IAM_FAILED" {
		t.Fatalf("after InvalidateTokens: code %q, want IAM_FAILED", r.env.Code)
	}
	tok = getToken(t, s, time.Now())
	if r := getResult(t, s, tok, "id-1"); r.env.Code != "SUCCESS" {
		t.Fatalf("new token: code %q", r.env.Code)
	}
	if got := s.TokenRequests(); got != 2 {
		t.Errorf("TokenRequests = %d, want 2", got)
	}
}

func overall(t *testing.T, r reply) any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(r.env.Data, &d); err != nil {
		t.Fatalf("data %s: %v", r.env.Data, err)
	}
	return d["overallResult"]
}

func TestScripts(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := Start(t, Options{Now: clk.Now})
	tok := getToken(t, s, clk.Now())

	s.Register("pass", Script{ReadyAfter: time.Minute, Outcome: OutcomePass})
	s.Register("fail", Script{Outcome: OutcomeFail})
	s.Register("fail-custom", Script{Outcome: OutcomeFail, ErrorCode: "SIMILARITY_FAILED"})
	s.Register("incomplete", Script{Outcome: OutcomeIncomplete})
	s.Register("notfound", Script{Outcome: OutcomeNotFound})
	s.Register("forever", Script{Outcome: OutcomePendingForever})

	r := getResult(t, s, tok, "pass")
	if r.env.Code != "SUCCESS" || overall(t, r) != nil {
		t.Fatalf("before ReadyAfter: code %q overallResult %v, want SUCCESS null", r.env.Code, overall(t, r))
	}
	if !bytes.Contains(r.body, []byte(FakeBirthday)) {
		t.Error("pending body carries no partial personal data")
	}
	clk.Add(time.Minute)
	r = getResult(t, s, tok, "pass")
	if overall(t, r) != "PASS" {
		t.Fatalf("after ReadyAfter: overallResult %v, want PASS", overall(t, r))
	}
	for _, v := range PersonalData()[:4] {
		if !bytes.Contains(r.body, []byte(v)) {
			t.Errorf("final body lacks %q", v)
		}
	}

	for id, want := range map[string][2]string{
		"fail":        {"FAIL", "LIVENESS_ATTACK"},
		"fail-custom": {"FAIL", "SIMILARITY_FAILED"},
		"incomplete":  {"INCOMPLETE", "USER_TIMEOUT"},
	} {
		r := getResult(t, s, tok, id)
		var d struct{ OverallResult, ErrorCode string }
		_ = json.Unmarshal(r.env.Data, &d)
		if d.OverallResult != want[0] || d.ErrorCode != want[1] {
			t.Errorf("%s: %s/%s, want %s/%s", id, d.OverallResult, d.ErrorCode, want[0], want[1])
		}
	}
	if r := getResult(t, s, tok, "notfound"); r.env.Code != "SIGNATURE_NOT_EXIST" || string(r.env.Data) != "null" {
		t.Errorf("notfound: code %q data %s", r.env.Code, r.env.Data)
	}
	if r := getResult(t, s, tok, "never-registered"); r.env.Code != "SIGNATURE_NOT_EXIST" {
		t.Errorf("unknown id: code %q", r.env.Code)
	}
	clk.Add(24 * time.Hour)
	if r := getResult(t, s, tok2(t, s, clk), "forever"); overall(t, r) != nil {
		t.Errorf("PendingForever: overallResult %v", overall(t, r))
	}

	// Counters.
	getResult(t, s, tok2(t, s, clk), "pass")
	if got := s.Calls("pass"); got != 3 {
		t.Errorf("Calls(pass) = %d, want 3", got)
	}
	if got := s.CallsAfterFinal("pass"); got != 1 {
		t.Errorf("CallsAfterFinal(pass) = %d, want 1", got)
	}
	if got := s.CallsAfterFinal("forever"); got != 0 {
		t.Errorf("CallsAfterFinal(forever) = %d, want 0", got)
	}
	if got := s.TotalCalls(); got != 9 {
		t.Errorf("TotalCalls = %d, want 9", got)
	}
}

// tok2 fetches a token valid at the clock's current time.
func tok2(t *testing.T, s *Server, clk *clock) string { return getToken(t, s, clk.Now()) }

func TestBase64Images(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	s.Register("id", Script{})
	tok := getToken(t, s, time.Now())
	r := post(t, s.URL()+GetResultPath, tok, map[string]string{"signatureId": "id", "returnImageType": "BASE64"})
	if bytes.Contains(r.body, []byte("https://fake-advance.invalid/images/")) {
		t.Error("BASE64 answer carries image URLs")
	}
}

func TestAutoScript(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := Start(t, Options{AutoScript: true, Now: clk.Now})
	tok := getToken(t, s, clk.Now())

	// Readiness counts from the id's first call, not from server start.
	clk.Add(time.Hour)
	tok = getToken(t, s, clk.Now())
	if r := getResult(t, s, tok, "pass-3s-001"); overall(t, r) != nil {
		t.Fatalf("first call: overallResult %v, want null", overall(t, r))
	}
	clk.Add(3 * time.Second)
	if r := getResult(t, s, tok, "pass-3s-001"); overall(t, r) != "PASS" {
		t.Fatalf("after 3s: overallResult %v, want PASS", overall(t, r))
	}
	if r := getResult(t, s, tok, "fail-0ms-x"); overall(t, r) != "FAIL" || !bytes.Contains(r.body, []byte(`"LIVENESS_ATTACK"`)) {
		t.Errorf("fail-0ms-x: %v", overall(t, r))
	}
	if r := getResult(t, s, tok, "incomplete-0s-x"); !bytes.Contains(r.body, []byte(`"USER_TIMEOUT"`)) {
		t.Errorf("incomplete-0s-x: %v", overall(t, r))
	}
	if r := getResult(t, s, tok, "notfound-0s-x"); r.env.Code != "SIGNATURE_NOT_EXIST" {
		t.Errorf("notfound-0s-x: code %q", r.env.Code)
	}
	if r := getResult(t, s, tok, "pending-0s-x"); overall(t, r) != nil {
		t.Errorf("pending-0s-x: %v", overall(t, r))
	}
	if r := getResult(t, s, tok, "pass-3x-001"); r.env.Code != "SIGNATURE_NOT_EXIST" {
		t.Errorf("malformed auto id: code %q", r.env.Code)
	}

	for id, want := range map[string]time.Duration{"pass-500ms-a": 500 * time.Millisecond, "fail-2m-b": 2 * time.Minute, "pending-0s-c": 0} {
		sc, ok := ParseAutoScript(id)
		if !ok || sc.ReadyAfter != want {
			t.Errorf("ParseAutoScript(%q) = %+v, %v", id, sc, ok)
		}
	}
	for _, id := range []string{"pass-3s-", "PASS-3s-x", "pass-3h-x", "pass-s-x", "other-3s-x", "pass-99999999999s-x"} {
		if _, ok := ParseAutoScript(id); ok {
			t.Errorf("ParseAutoScript(%q) matched", id)
		}
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	s.Register("id", Script{Faults: []Fault{
		{Kind: HTTP500},
		{Kind: CodeError},
		{Kind: ServiceBusy},
		{Kind: ServiceBusy, RetryAfter: "3"},
		{Kind: HTTP429, RetryAfter: "7"},
		{Kind: IAMFailed},
		{Kind: Garbage},
		{Kind: HTML},
	}})
	tok := getToken(t, s, time.Now())

	check := func(name string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("%s: unexpected answer", name)
		}
	}
	r := getResult(t, s, tok, "id")
	check("HTTP500", r.status == 500)
	r = getResult(t, s, tok, "id")
	check("CodeError", r.env.Code == "ERROR")
	r = getResult(t, s, tok, "id")
	check("ServiceBusy", r.env.Code == "SERVICE_BUSY" && r.header.Get("Retry-After") == "10s")
	r = getResult(t, s, tok, "id")
	check("ServiceBusy 3", r.header.Get("Retry-After") == "3")
	r = getResult(t, s, tok, "id")
	check("HTTP429", r.status == 429 && r.header.Get("Retry-After") == "7")
	r = getResult(t, s, tok, "id")
	check("IAMFailed", r.env.Code == "IAM_FAILED")
	r = getResult(t, s, tok, "id")
	check("Garbage", r.status == 200 && !json.Valid(r.body) && bytes.Contains(r.body, []byte(FakeFullName)))
	r = getResult(t, s, tok, "id")
	check("HTML", strings.HasPrefix(r.header.Get("Content-Type"), "text/html"))
	r = getResult(t, s, tok, "id")
	check("after faults", r.env.Code == "SUCCESS" && overall(t, r) == "PASS")
	if got := s.Calls("id"); got != 9 {
		t.Errorf("Calls = %d, want 9", got)
	}
}

func TestTimeoutFaultEndsWithClient(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	s.Register("id", Script{Faults: []Fault{{Kind: Timeout}}})
	tok := getToken(t, s, time.Now())

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+GetResultPath, strings.NewReader(`{"signatureId":"id"}`))
	req.Header.Set("X-ACCESS-TOKEN", tok)
	start := time.Now()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("stalled call answered HTTP %d", resp.StatusCode)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stalled call took %s", d)
	}
	if r := getResult(t, s, tok, "id"); r.env.Code != "SUCCESS" {
		t.Errorf("after the timeout fault: code %q", r.env.Code)
	}
}

func TestServeAndClose(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	deadline := time.Now().Add(5 * time.Second)
	for s.URL() == "" && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if want := "http://" + l.Addr().String(); s.URL() != want {
		t.Fatalf("URL = %q, want %q", s.URL(), want)
	}
	s.Register("id", Script{Faults: []Fault{{Kind: Timeout}}})
	tok := getToken(t, s, time.Now())

	// A stalled answer must not hold up Close.
	stalled := make(chan struct{})
	go func() {
		defer close(stalled)
		req, _ := http.NewRequest(http.MethodPost, s.URL()+GetResultPath, strings.NewReader(`{"signatureId":"id"}`))
		req.Header.Set("X-ACCESS-TOKEN", tok)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for s.Calls("id") == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	<-stalled
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %s", d)
	}
	if err := s.Serve(l); err == nil {
		t.Error("Serve after Close succeeded")
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Latency: 100 * time.Millisecond})
	start := time.Now()
	getToken(t, s, time.Now())
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("answered after %s, want at least the latency", d)
	}
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{AutoScript: true})
	tok := getToken(t, s, time.Now())
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				r := getResult(t, s, tok, fmt.Sprintf("pass-0s-%d", i%4))
				if r.env.Code != "SUCCESS" {
					t.Errorf("code %q", r.env.Code)
				}
			}
		}()
	}
	wg.Wait()
	if got := s.TotalCalls(); got != 100 {
		t.Errorf("TotalCalls = %d, want 100", got)
	}
	sum := 0
	for i := range 4 {
		sum += s.Calls(fmt.Sprintf("pass-0s-%d", i))
	}
	if sum != 100 {
		t.Errorf("sum of Calls = %d, want 100", sum)
	}
}
