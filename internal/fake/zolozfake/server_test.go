package zolozfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/provider/zoloz"
)

const testClientID = "2188000123456789"

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

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	opts.ClientID = testClientID
	opts.MerchantPublicKey = &merchantKey.PublicKey
	opts.ZolozPrivateKey = zolozKey
	return Start(t, opts)
}

// reply is one answer, its signature checked with the client package.
type reply struct {
	status   int
	header   http.Header
	body     []byte
	sigErr   error // from zoloz.VerifyResponse
	result   struct{ ResultStatus, ResultCode, ResultMessage string }
	ekyc     string
	response map[string]json.RawMessage
}

// call sends a request signed with the merchant key; mod may change it
// after signing.
func call(t *testing.T, s *Server, body any, mod ...func(*http.Request)) reply {
	t.Helper()
	req := signedRequest(context.Background(), t, s, body)
	for _, m := range mod {
		m(req)
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
	r.sigErr = zoloz.VerifyResponse(&zolozKey.PublicKey, CheckResultPath, testClientID, resp.Header.Get("Response-Time"), r.body, resp.Header.Get("Signature"))
	if json.Unmarshal(r.body, &r.response) == nil {
		_ = json.Unmarshal(r.response["result"], &r.result)
		_ = json.Unmarshal(r.response["ekycResult"], &r.ekyc)
	}
	return r
}

// signedRequest is a checkresult request as the client sends it.
func signedRequest(ctx context.Context, t *testing.T, s *Server, body any) *http.Request {
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
	reqTime := time.Now().Format(zoloz.TimeLayout)
	sig, err := zoloz.SignRequest(merchantKey, CheckResultPath, testClientID, reqTime, b)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+CheckResultPath, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Client-Id", testClientID)
	req.Header.Set("Request-Time", reqTime)
	req.Header.Set("Signature", "algorithm=RSA256, signature="+sig)
	return req
}

func checkResult(t *testing.T, s *Server, id string) reply {
	t.Helper()
	return call(t, s, map[string]string{"bizId": "biz-" + id, "transactionId": id, "isReturnImage": "N"})
}

// outcome is "S <ekycResult>" or "<status> <code>", after checking the
// signature.
func (r reply) outcome(t *testing.T) string {
	t.Helper()
	if r.sigErr != nil {
		t.Errorf("answer signature: %v", r.sigErr)
	}
	if r.result.ResultStatus == "S" {
		return "S " + r.ekyc
	}
	return r.result.ResultStatus + " " + r.result.ResultCode
}

func TestScripts(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := start(t, Options{Now: clk.Now})
	s.Register("ready", Script{ReadyAfter: time.Minute, Outcome: OutcomeFailure})
	for id, o := range map[string]Outcome{
		"success": OutcomeSuccess, "default": "", "failure": OutcomeFailure,
		"cancelled": OutcomeVoidCancelled, "timeout": OutcomeVoidTimeout,
		"pending": OutcomePendingForever, "inprocess": OutcomeInProcessForever,
	} {
		s.Register(id, Script{Outcome: o})
	}

	// In progress: Pending on odd calls, InProcess on even ones.
	for i, want := range []string{"S Pending", "S InProcess", "S Pending"} {
		r := checkResult(t, s, "ready")
		if got := r.outcome(t); got != want {
			t.Errorf("call %d before ReadyAfter: %s, want %s", i+1, got, want)
		}
		if !bytes.Contains(r.body, []byte(FakeName)) {
			t.Error("an answer in progress carries no partial personal data")
		}
	}
	clk.Add(time.Minute)
	r := checkResult(t, s, "ready")
	if got := r.outcome(t); got != "S Failure" {
		t.Fatalf("after ReadyAfter: %s", got)
	}
	for _, v := range PersonalData()[:6] {
		if !bytes.Contains(r.body, []byte(v)) {
			t.Errorf("failure answer lacks %q", v)
		}
	}

	for id, want := range map[string]string{
		"success": "S Success", "default": "S Success", "failure": "S Failure",
		"cancelled": "S VoidCancelled", "timeout": "S VoidTimeout",
		"pending": "S Pending", "inprocess": "S InProcess",
		"never-registered": "F INVALID_ARGUMENT",
	} {
		r := checkResult(t, s, id)
		if got := r.outcome(t); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
		if r.result.ResultStatus == "F" && !strings.HasPrefix(r.result.ResultMessage, MessageMarker) {
			t.Errorf("%s: message %q lacks the marker", id, r.result.ResultMessage)
		}
	}
	clk.Add(24 * time.Hour)
	if got := checkResult(t, s, "pending").outcome(t); got != "S Pending" {
		t.Errorf("PendingForever after a day: %s", got)
	}

	// Counters.
	checkResult(t, s, "ready")
	checkResult(t, s, "never-registered")
	for id, want := range map[string][2]int{
		"ready":            {5, 1},
		"pending":          {2, 0},
		"never-registered": {2, 1},
		"success":          {1, 0},
	} {
		if got := [2]int{s.Calls(id), s.CallsAfterFinal(id)}; got != want {
			t.Errorf("%s: calls, after final = %v, want %v", id, got, want)
		}
	}
	if got := s.TotalCalls(); got != 15 {
		t.Errorf("TotalCalls = %d, want 15", got)
	}

	// Registering again starts over.
	s.Register("ready", Script{ReadyAfter: time.Hour})
	if got := checkResult(t, s, "ready").outcome(t); got != "S Pending" && got != "S InProcess" {
		t.Errorf("registered again: %s", got)
	}
	if s.CallsAfterFinal("ready") != 1 {
		t.Errorf("CallsAfterFinal after registering again = %d", s.CallsAfterFinal("ready"))
	}
}

func TestResultCodes(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	for _, code := range []string{"SIGNATURE_INVALID", "PARAM_ILLEGAL", "SYSTEM_ERROR", "REQUEST_TRAFFIC_EXCEED_LIMIT", "NEW_CODE"} {
		s.Register(code, Script{ResultCode: code})
		for range 2 {
			if got := checkResult(t, s, code).outcome(t); got != "F "+code {
				t.Errorf("%s: %s", code, got)
			}
		}
	}
	if s.CallsAfterFinal("PARAM_ILLEGAL") != 1 || s.CallsAfterFinal("SYSTEM_ERROR") != 0 {
		t.Error("only codes that end polling count as final")
	}
	s.Register("ok", Script{ResultCode: "SUCCESS"})
	if got := checkResult(t, s, "ok").outcome(t); got != "S Success" {
		t.Errorf("ResultCode SUCCESS: %s", got)
	}
}

func TestRequestChecks(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	s.Register("tx", Script{BizID: "biz-1"})
	good := map[string]any{"bizId": "biz-1", "transactionId": "tx"}

	tests := []struct {
		name string
		body any
		mod  func(*http.Request)
		want string
	}{
		{"good", good, nil, "S Success"},
		{"all options", map[string]any{"bizId": "biz-1", "transactionId": "tx", "isReturnImage": "Y", "extraImageControlList": []string{"FACE_EYE_CLOSE"}, "returnFiveCategorySpoofResult": "N"}, nil, "S Success"},
		{"bizId mismatch", map[string]any{"bizId": "biz-2", "transactionId": "tx"}, nil, "F PARAM_ILLEGAL"},
		{"no bizId", map[string]any{"transactionId": "tx"}, nil, "F PARAM_MISSING"},
		{"field name in another case", map[string]any{"bizID": "biz-1", "transactionId": "tx"}, nil, "F PARAM_MISSING"},
		{"no transactionId", map[string]any{"bizId": "biz-1"}, nil, "F PARAM_MISSING"},
		{"bizId too long", map[string]any{"bizId": strings.Repeat("b", 33), "transactionId": "tx"}, nil, "F PARAM_ILLEGAL"},
		{"bizId a number", map[string]any{"bizId": 1, "transactionId": "tx"}, nil, "F PARAM_ILLEGAL"},
		{"isReturnImage true", map[string]any{"bizId": "biz-1", "transactionId": "tx", "isReturnImage": true}, nil, "F PARAM_ILLEGAL"},
		{"isReturnImage yes", map[string]any{"bizId": "biz-1", "transactionId": "tx", "isReturnImage": "yes"}, nil, "F PARAM_ILLEGAL"},
		{"extra list a string", map[string]any{"bizId": "biz-1", "transactionId": "tx", "extraImageControlList": "FACE_EYE_CLOSE"}, nil, "F PARAM_ILLEGAL"},
		{"not JSON", "{", nil, "F MSG_PARSE_ERROR"},
		{"other client id", good, func(r *http.Request) { r.Header.Set("Client-Id", "2188000000000000") }, "F MERCHANT_NOT_FOUND"},
		{"no signature", good, func(r *http.Request) { r.Header.Del("Signature") }, "F SIGNATURE_INVALID"},
		{"no request time", good, func(r *http.Request) { r.Header.Del("Request-Time") }, "F SIGNATURE_INVALID"},
		{"other request time", good, func(r *http.Request) { r.Header.Set("Request-Time", "2001-01-01T00:00:00+0000") }, "F SIGNATURE_INVALID"},
		{"other algorithm", good, func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "RSA256", "RSA1", 1))
		}, "F SIGNATURE_INVALID"},
		{"body changed after signing", good, func(r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			b = bytes.Replace(b, []byte("biz-1"), []byte("biz-2"), 1)
			r.Body = io.NopCloser(bytes.NewReader(b))
		}, "F SIGNATURE_INVALID"},
	}
	for _, tt := range tests {
		var mods []func(*http.Request)
		if tt.mod != nil {
			mods = append(mods, tt.mod)
		}
		if got := call(t, s, tt.body, mods...).outcome(t); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	if got := s.BadRequestSignatures(); got != 5 {
		t.Errorf("BadRequestSignatures = %d, want 5", got)
	}
}

func TestNoKeys(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	s.Register("tx", Script{})
	r := call(t, s, map[string]string{"bizId": "b", "transactionId": "tx"}, func(r *http.Request) {
		r.Header.Set("Client-Id", DefaultClientID)
		r.Header.Set("Signature", "algorithm=RSA256, signature=whatever")
	})
	if r.result.ResultCode != "SUCCESS" || r.header.Get("Signature") != "" || r.header.Get("Response-Time") != "" {
		t.Errorf("without keys: code %q, signature %q", r.result.ResultCode, r.header.Get("Signature"))
	}
}

func TestImagesAndSpoofCategories(t *testing.T) {
	t.Parallel()
	s := start(t, Options{IncludeImages: true})
	s.Register("tx", Script{})

	r := call(t, s, map[string]any{"bizId": "b", "transactionId": "tx", "isReturnImage": "N", "extraImageControlList": []string{"FACE_EYE_CLOSE"}})
	if bytes.Contains(r.body, []byte("faceImg")) || bytes.Contains(r.body, []byte("extraImages")) || !bytes.Contains(r.body, []byte(`"OTHER_CHECK"`)) {
		t.Errorf("isReturnImage N: images or five categories in the answer")
	}

	r = call(t, s, map[string]any{
		"bizId": "b", "transactionId": "tx", "isReturnImage": "Y",
		"extraImageControlList":         []string{"FACE_EYE_CLOSE", "DOC_BACK_FLASH"},
		"returnFiveCategorySpoofResult": "Y",
	})
	r.outcome(t)
	var d struct {
		ExtFaceInfo struct {
			FaceImg     string
			ExtraImages map[string]string
		}
		ExtIDInfo struct {
			FrontPageImg, BackPageImg string
			ExtraImages               map[string]string
			SpoofResult               map[string]string
		} `json:"extIdInfo"`
	}
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatal(err)
	}
	for name, img := range map[string]string{
		"faceImg": d.ExtFaceInfo.FaceImg, "frontPageImg": d.ExtIDInfo.FrontPageImg, "backPageImg": d.ExtIDInfo.BackPageImg,
		"FACE_EYE_CLOSE": d.ExtFaceInfo.ExtraImages["FACE_EYE_CLOSE"], "DOC_BACK_FLASH": d.ExtIDInfo.ExtraImages["DOC_BACK_FLASH"],
	} {
		if len(img) < 200_000 || !strings.HasPrefix(img, "/9j/") {
			t.Errorf("%s: %d bytes starting %.8q, want a base64 JPEG of about 200 KB", name, len(img), img)
		}
	}
	if len(d.ExtIDInfo.ExtraImages) != 1 || len(d.ExtFaceInfo.ExtraImages) != 1 {
		t.Errorf("extra images not limited to those asked for")
	}
	if d.ExtIDInfo.SpoofResult["SECURITY_FEATURE_CHECK"] != "Y" || d.ExtIDInfo.SpoofResult["OTHER_CHECK"] != "" {
		t.Errorf("five categories: %v", d.ExtIDInfo.SpoofResult)
	}
	for _, v := range PersonalData()[:4] {
		if strings.Count(string(r.body), v) == 0 {
			t.Errorf("answer lacks %q", v)
		}
	}
}

func TestAutoScript(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := start(t, Options{AutoScript: true, Now: clk.Now})

	// Readiness counts from the id's first call, not from server start.
	clk.Add(time.Hour)
	if got := checkResult(t, s, "success-3s-001").outcome(t); got != "S Pending" {
		t.Fatalf("first call: %s", got)
	}
	clk.Add(3 * time.Second)
	if got := checkResult(t, s, "success-3s-001").outcome(t); got != "S Success" {
		t.Fatalf("after 3s: %s", got)
	}
	for id, want := range map[string]string{
		"failure-0ms-x":   "S Failure",
		"cancelled-0s-x":  "S VoidCancelled",
		"timeout-0s-x":    "S VoidTimeout",
		"pending-0s-x":    "S Pending",
		"inprocess-0s-x":  "S InProcess",
		"success-3x-001":  "F INVALID_ARGUMENT",
		"SUCCESS-0s-x":    "F INVALID_ARGUMENT",
		"unknown-0s-x":    "F INVALID_ARGUMENT",
		"failure-500ms-y": "S Pending",
	} {
		if got := checkResult(t, s, id).outcome(t); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
	for id, want := range map[string]time.Duration{"success-500ms-a": 500 * time.Millisecond, "failure-2m-b": 2 * time.Minute, "pending-1m-c": time.Minute} {
		sc, ok := ParseAutoScript(id)
		if !ok || sc.ReadyAfter != want {
			t.Errorf("ParseAutoScript(%q) = %+v, %v", id, sc, ok)
		}
	}
	for _, id := range []string{"success-3s-", "success-3h-x", "success-s-x", "success-99999999999s-x"} {
		if _, ok := ParseAutoScript(id); ok {
			t.Errorf("ParseAutoScript(%q) matched", id)
		}
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	s.Register("tx", Script{Faults: []Fault{
		{Kind: HTTP500},
		{Kind: HTTP429, RetryAfter: "7"},
		{Kind: StatusU},
		{Kind: TrafficLimit, RetryAfter: "3"},
		{Kind: BadSignature},
		{Kind: TamperedBody},
		{Kind: Unsigned},
		{Kind: Garbage},
		{Kind: HTML},
	}})
	// A bad request signature consumes no fault.
	r := call(t, s, map[string]string{"bizId": "b", "transactionId": "tx"}, func(r *http.Request) { r.Header.Del("Signature") })
	if got := r.outcome(t); got != "F SIGNATURE_INVALID" {
		t.Fatalf("bad request signature: %s", got)
	}

	check := func(name string, ok bool, r reply) {
		t.Helper()
		if !ok {
			t.Errorf("%s: unexpected answer: HTTP %d %.200s", name, r.status, r.body)
		}
	}
	r = checkResult(t, s, "tx")
	check("HTTP500", r.status == 500, r)
	r = checkResult(t, s, "tx")
	check("HTTP429", r.status == 429 && r.header.Get("Retry-After") == "7", r)
	r = checkResult(t, s, "tx")
	check("StatusU", r.outcome(t) == "U SYSTEM_ERROR", r)
	r = checkResult(t, s, "tx")
	check("TrafficLimit", r.outcome(t) == "F REQUEST_TRAFFIC_EXCEED_LIMIT" && r.header.Get("Retry-After") == "3", r)
	r = checkResult(t, s, "tx")
	check("BadSignature", errors.Is(r.sigErr, zoloz.ErrResponseSignature) && r.ekyc == "Success", r)
	r = checkResult(t, s, "tx")
	check("TamperedBody", errors.Is(r.sigErr, zoloz.ErrResponseSignature) && r.ekyc == "Success" && json.Valid(r.body), r)
	r = checkResult(t, s, "tx")
	check("Unsigned", r.header.Get("Signature") == "" && r.ekyc == "Success", r)
	r = checkResult(t, s, "tx")
	check("Garbage", r.status == 200 && r.sigErr == nil && !json.Valid(r.body) && bytes.Contains(r.body, []byte(FakeName)), r)
	r = checkResult(t, s, "tx")
	check("HTML", strings.HasPrefix(r.header.Get("Content-Type"), "text/html"), r)
	if s.CallsAfterFinal("tx") != 0 {
		t.Error("an untrustworthy answer counted as final")
	}
	r = checkResult(t, s, "tx")
	check("after faults", r.outcome(t) == "S Success", r)
	if got := s.Calls("tx"); got != 11 {
		t.Errorf("Calls = %d, want 11", got)
	}
}

func TestTimeoutFaultEndsWithClient(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	s.Register("tx", Script{Faults: []Fault{{Kind: Timeout}}})

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	started := time.Now()
	req := signedRequest(ctx, t, s, map[string]string{"bizId": "b", "transactionId": "tx"})
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("stalled call answered HTTP %d", resp.StatusCode)
	}
	if d := time.Since(started); d > 5*time.Second {
		t.Errorf("stalled call took %s", d)
	}
	if got := checkResult(t, s, "tx").outcome(t); got != "S Success" {
		t.Errorf("after the timeout fault: %s", got)
	}
}

func TestServeAndClose(t *testing.T) {
	t.Parallel()
	s := New(Options{ClientID: testClientID, MerchantPublicKey: &merchantKey.PublicKey, ZolozPrivateKey: zolozKey})
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
	s.Register("tx", Script{Faults: []Fault{{Kind: Timeout}}})

	// A stalled answer must not hold up Close.
	stalled := make(chan struct{})
	req := signedRequest(context.Background(), t, s, map[string]string{"bizId": "b", "transactionId": "tx"})
	go func() {
		defer close(stalled)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for s.Calls("tx") == 0 {
		time.Sleep(time.Millisecond)
	}
	started := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	<-stalled
	if d := time.Since(started); d > 3*time.Second {
		t.Errorf("Close took %s", d)
	}
	if err := s.Serve(l); err == nil {
		t.Error("Serve after Close succeeded")
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Latency: 100 * time.Millisecond})
	started := time.Now()
	checkResult(t, s, "x")
	if d := time.Since(started); d < 100*time.Millisecond {
		t.Errorf("answered after %s, want at least the latency", d)
	}
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	s := start(t, Options{AutoScript: true})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				r := checkResult(t, s, fmt.Sprintf("success-0s-%d", i%4))
				if r.result.ResultCode != "SUCCESS" || r.sigErr != nil {
					t.Errorf("code %q, signature %v", r.result.ResultCode, r.sigErr)
				}
			}
		}()
	}
	wg.Wait()
	if got := s.TotalCalls(); got != 100 {
		t.Errorf("TotalCalls = %d, want 100", got)
	}
	if got := s.CallsAfterFinal("success-0s-0"); got != 24 {
		t.Errorf("CallsAfterFinal = %d, want 24", got)
	}
}
