package advance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/verification"
)

func TestCheckOutcomes(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{})
	c := e.client()
	e.fake.Register("pass", advancefake.Script{Outcome: advancefake.OutcomePass})
	e.fake.Register("fail", advancefake.Script{Outcome: advancefake.OutcomeFail})
	e.fake.Register("fail-custom", advancefake.Script{Outcome: advancefake.OutcomeFail, ErrorCode: "SIMILARITY_FAILED"})
	e.fake.Register("incomplete", advancefake.Script{Outcome: advancefake.OutcomeIncomplete})
	e.fake.Register("notfound", advancefake.Script{Outcome: advancefake.OutcomeNotFound})
	e.fake.Register("pending", advancefake.Script{Outcome: advancefake.OutcomePendingForever})

	tests := []struct {
		id   string
		want verification.Result
	}{
		{"pass", verification.Result{Final: true, Status: verification.StatusPass, ProviderStatus: "PASS", ErrorCode: "SUCCESS"}},
		{"fail", verification.Result{Final: true, Status: verification.StatusFail, ProviderStatus: "FAIL", ErrorCode: "LIVENESS_ATTACK"}},
		{"fail-custom", verification.Result{Final: true, Status: verification.StatusFail, ProviderStatus: "FAIL", ErrorCode: "SIMILARITY_FAILED"}},
		{"incomplete", verification.Result{Final: true, Status: verification.StatusIncomplete, ProviderStatus: "INCOMPLETE", ErrorCode: "USER_TIMEOUT"}},
		{"notfound", verification.Result{Final: true, Status: verification.StatusNotFound, ErrorCode: "SIGNATURE_NOT_EXIST"}},
		{"never-registered", verification.Result{Final: true, Status: verification.StatusNotFound, ErrorCode: "SIGNATURE_NOT_EXIST"}},
		{"pending", verification.Result{}},
	}
	for _, tt := range tests {
		got, err := check(t, e, c, tt.id)
		if err != nil {
			t.Errorf("%s: %v", tt.id, err)
			continue
		}
		data := got.Data
		got.Data = nil
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.id, got, tt.want)
		}
		switch {
		case tt.want.Status == verification.StatusNotFound || !tt.want.Final:
			if data != nil {
				t.Errorf("%s: Data = %s, want nil", tt.id, data)
			}
		default:
			var d struct {
				SignatureID string `json:"signatureId"`
			}
			if err := json.Unmarshal(data, &d); err != nil || d.SignatureID != tt.id {
				t.Errorf("%s: Data is not the result object: %v", tt.id, err)
			}
			if !bytes.Contains(data, []byte(advancefake.FakeFullName)) {
				t.Errorf("%s: Data lost the personal data sinks need", tt.id)
			}
		}
	}
	if got := e.fake.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests = %d, want 1", got)
	}
}

func TestCheckPendingBecomesFinal(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t).withFake(advancefake.Options{Now: clk.Now})
	c := e.client(func(o *Options) { o.Now = clk.Now })
	e.fake.Register("id-1", advancefake.Script{ReadyAfter: 10 * time.Second, Outcome: advancefake.OutcomePass})

	res, err := check(t, e, c, "id-1")
	if err != nil || res.Final {
		t.Fatalf("before ReadyAfter: %+v, %v; want not final", res, err)
	}
	clk.Add(10 * time.Second)
	res, err = check(t, e, c, "id-1")
	if err != nil || !res.Final || res.Status != verification.StatusPass {
		t.Fatalf("after ReadyAfter: %+v, %v; want PASS", res, err)
	}
}

func TestCheckBase64Images(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var got getResultRequest
	e.withRaw(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(TokenHeader) != "raw-token" {
			t.Errorf("token header %q", r.Header.Get(TokenHeader))
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"code":"SUCCESS","data":{"overallResult":null}}`)
	})
	c := e.client(func(o *Options) { o.ReturnImageType = "BASE64" })
	if _, err := check(t, e, c, "sig-1"); err != nil {
		t.Fatal(err)
	}
	if got.SignatureID != "sig-1" || got.ReturnImageType != "BASE64" {
		t.Errorf("request body %+v", got)
	}
}

func TestCheckFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{})
	c := e.client(func(o *Options) { o.Timeout = 300 * time.Millisecond })

	tests := []struct {
		fault      advancefake.Fault
		code       string
		throttled  bool
		retryAfter time.Duration
	}{
		{advancefake.Fault{Kind: advancefake.HTTP500}, "http_500", false, 0},
		{advancefake.Fault{Kind: advancefake.CodeError}, "ERROR", false, 0},
		{advancefake.Fault{Kind: advancefake.ServiceBusy, RetryAfter: "10s"}, "SERVICE_BUSY", true, 10 * time.Second},
		{advancefake.Fault{Kind: advancefake.ServiceBusy, RetryAfter: "4"}, "SERVICE_BUSY", true, 4 * time.Second},
		{advancefake.Fault{Kind: advancefake.HTTP429, RetryAfter: "7"}, "http_429", true, 7 * time.Second},
		{advancefake.Fault{Kind: advancefake.HTTP429}, "http_429", true, 0},
		{advancefake.Fault{Kind: advancefake.Garbage}, "invalid_json", false, 0},
		{advancefake.Fault{Kind: advancefake.HTML}, "content_type", false, 0},
		{advancefake.Fault{Kind: advancefake.Timeout}, "timeout", false, 0},
	}
	for _, tt := range tests {
		id := "fault-" + string(tt.fault.Kind) + "-" + tt.fault.RetryAfter
		e.fake.Register(id, advancefake.Script{Outcome: advancefake.OutcomePass, Faults: []advancefake.Fault{tt.fault}})
		start := time.Now()
		_, err := check(t, e, c, id)
		te := transient(t, err)
		if te.Code != tt.code || te.Throttled != tt.throttled || te.RetryAfter != tt.retryAfter {
			t.Errorf("%s: %+v, want code %s throttled %v retry after %s", id, te, tt.code, tt.throttled, tt.retryAfter)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %s", id, d)
		}
		// The fault is spent: the next poll sees the real result.
		res, err := check(t, e, c, id)
		if err != nil || res.Status != verification.StatusPass {
			t.Errorf("%s: after the fault: %+v, %v", id, res, err)
		}
	}
}

func TestCheckOversizeBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{})
	c := e.client(func(o *Options) { o.MaxResponseBytes = 1024 })
	e.fake.Register("big", advancefake.Script{})
	_, err := check(t, e, c, "big")
	te := transient(t, err)
	if te.Code != "response_too_large" || !strings.Contains(err.Error(), "response exceeds 1024 bytes") {
		t.Errorf("error %v", err)
	}
}

func TestCheckSlowBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.withRaw(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"code":"SUCCESS","data":{"fullName":"`+advancefake.FakeFullName)
		for {
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
				_, _ = io.WriteString(w, " ")
			}
		}
	})
	c := e.client(func(o *Options) { o.Timeout = 300 * time.Millisecond })
	start := time.Now()
	_, err := check(t, e, c, "slow")
	if te := transient(t, err); te.Code != "timeout" {
		t.Errorf("error %v, want code timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a dripping body held the call for %s", d)
	}
}

// rawAnswer serves a fixed Get Result answer.
func rawAnswer(status int, contentType, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		} else {
			w.Header()["Content-Type"] = nil // no sniffing
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestCheckRawAnswers(t *testing.T) {
	t.Parallel()
	const js = "application/json;charset=UTF-8"
	pii := advancefake.FakeFullName
	msg := advancefake.MessageServerError
	retryDate := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)

	type want struct {
		res        *verification.Result
		transient  string
		config     string
		throttled  bool
		retryAfter time.Duration // minimum; exact unless retryDate
	}
	tests := []struct {
		name string
		h    http.HandlerFunc
		want want
	}{
		{"legacy overResult lower-case fail", rawAnswer(200, js, `{"code":"SUCCESS","message":"OK","data":{"signatureId":"f302","overResult":"fail","idvResult":"fail","errorCode":"NOT_SUPPORTED_CARD","docDetail":{"ocrInfo":{"fullName":"`+pii+`"}}},"extra":null}`),
			want{res: &verification.Result{Final: true, Status: verification.StatusFail, ProviderStatus: "fail", ErrorCode: "NOT_SUPPORTED_CARD"}}},
		{"unknown overallResult", rawAnswer(200, js, `{"code":"SUCCESS","message":"OK","data":{"overallResult":"MANUAL_REVIEW","fullName":"`+pii+`"}}`), want{transient: codeUnknownResult}},
		{"SUCCESS without data", rawAnswer(200, js, `{"code":"SUCCESS","message":"`+msg+`","data":null}`), want{transient: "invalid_data"}},
		{"ERROR", rawAnswer(200, js, `{"code":"ERROR","message":"`+msg+`","data":null}`), want{transient: "ERROR"}},
		{"RETRY_LATER with an HTTP date", rawAnswer(200, js, `{"code":"RETRY_LATER","message":"`+msg+`"}`, "Retry-After", retryDate), want{transient: "RETRY_LATER", throttled: true, retryAfter: 80 * time.Second}},
		{"SERVICE_BUSY without Retry-After", rawAnswer(200, js, `{"code":"SERVICE_BUSY","message":"`+msg+`"}`), want{transient: "SERVICE_BUSY", throttled: true}},
		{"PARAMETER_ERROR", rawAnswer(200, js, `{"code":"PARAMETER_ERROR","message":"`+msg+`"}`), want{config: "PARAMETER_ERROR"}},
		{"ACCOUNT_DISABLED", rawAnswer(200, js, `{"code":"ACCOUNT_DISABLED","message":"`+msg+`"}`), want{config: "ACCOUNT_DISABLED"}},
		{"CLIENT_ERROR", rawAnswer(200, js, `{"code":"CLIENT_ERROR","message":"`+msg+`"}`), want{config: "CLIENT_ERROR"}},
		{"INSUFFICIENT_BALANCE", rawAnswer(200, js, `{"code":"INSUFFICIENT_BALANCE","message":"`+msg+`"}`), want{config: "INSUFFICIENT_BALANCE"}},
		{"OVER_QUERY_LIMIT", rawAnswer(200, js, `{"code":"OVER_QUERY_LIMIT","message":"`+msg+`"}`), want{config: "OVER_QUERY_LIMIT"}},
		{"unknown code", rawAnswer(200, js, `{"code":"BRAND_NEW_CODE","message":"`+msg+`","data":{"fullName":"`+pii+`"}}`), want{transient: "BRAND_NEW_CODE"}},
		{"code that is not a code", rawAnswer(200, js, `{"code":"`+pii+`"}`), want{transient: "invalid_envelope"}},
		{"HTTP 401", rawAnswer(401, js, `{"code":"IAM_FAILED","message":"`+msg+`"}`), want{config: "http_401"}},
		{"HTTP 403", rawAnswer(403, "text/html", `<html>`+pii+`</html>`), want{config: "http_403"}},
		{"HTTP 404", rawAnswer(404, "text/plain", `not found`), want{config: "http_404"}},
		{"HTTP 302", rawAnswer(302, "", ``, "Location", "https://example.invalid/"), want{config: "http_302"}},
		{"HTTP 502 HTML", rawAnswer(502, "text/html", `<html><body>`+pii+`</body></html>`), want{transient: "http_502"}},
		{"HTTP 503 Retry-After", rawAnswer(503, "text/plain", `busy`, "Retry-After", "30"), want{transient: "http_503", retryAfter: 30 * time.Second}},
		{"HTTP 429", rawAnswer(429, js, `{"code":"SERVICE_BUSY"}`, "Retry-After", "10s"), want{transient: "http_429", throttled: true, retryAfter: 10 * time.Second}},
		{"JSON as text/plain", rawAnswer(200, "text/plain", `{"code":"SUCCESS","data":{"overallResult":"PASS"}}`), want{transient: "content_type"}},
		{"no content type", rawAnswer(200, "", `{"code":"SUCCESS","data":{"overallResult":null}}`), want{res: &verification.Result{}}},
		{"empty body", rawAnswer(200, js, ``), want{transient: "invalid_json"}},
		{"truncated", rawAnswer(200, js, `{"code":"SUCCESS","data":{"fullName":"`+pii), want{transient: "invalid_json"}},
		{"not an object", rawAnswer(200, js, `["`+pii+`"]`), want{transient: "invalid_envelope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t).withRaw(tt.h)
			c := e.client()
			res, err := check(t, e, c, "sig-1")
			switch {
			case tt.want.res != nil:
				if err != nil {
					t.Fatalf("error %v", err)
				}
				res.Data = nil
				if fmt.Sprint(res) != fmt.Sprint(*tt.want.res) {
					t.Errorf("result %+v, want %+v", res, *tt.want.res)
				}
			case tt.want.config != "":
				if ce := configErr(t, err); ce.Code != tt.want.config {
					t.Errorf("code %s, want %s", ce.Code, tt.want.config)
				}
			default:
				te := transient(t, err)
				if te.Code != tt.want.transient || te.Throttled != tt.want.throttled {
					t.Errorf("%+v, want code %s throttled %v", te, tt.want.transient, tt.want.throttled)
				}
				if te.RetryAfter < tt.want.retryAfter || (tt.want.retryAfter == 0 && te.RetryAfter != 0) ||
					te.RetryAfter > tt.want.retryAfter+15*time.Second {
					t.Errorf("RetryAfter %s, want about %s", te.RetryAfter, tt.want.retryAfter)
				}
				if verification.ErrorCode(err) != tt.want.transient {
					t.Errorf("verification.ErrorCode = %q", verification.ErrorCode(err))
				}
			}
		})
	}
}

func TestCheckDataKeptExactly(t *testing.T) {
	t.Parallel()
	data := "{ \"signatureId\" : \"x\",\n  \"overallResult\":\"PASS\", \"errorCode\":\"SUCCESS\",\"n\":1.50e1, \"u\":\"\\u00e9\" }"
	e := newEnv(t).withRaw(rawAnswer(200, "application/json", `{"code":"SUCCESS","message":"OK","data":`+data+`,"extra":null}`))
	res, err := check(t, e, e.client(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Data) != data {
		t.Errorf("Data = %q, want the bytes as received %q", res.Data, data)
	}
}

func TestUnknownCodeIsLogged(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withRaw(rawAnswer(200, "application/json", `{"code":"BRAND_NEW_CODE","message":"`+advancefake.FakeFullName+`"}`))
	_, err := check(t, e, e.client(), "sig-7")
	transient(t, err)
	if !e.logged("provider_code", "BRAND_NEW_CODE") || !e.logged("verification_id", "sig-7") || !e.logged("provider", "advance") {
		t.Errorf("no warning with provider_code, verification_id and provider; logs: %v", e.logs.All())
	}
}

func TestCheckNetworkError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.baseURL = "http://127.0.0.1:1"
	_, err := check(t, e, e.client(), "x")
	if te := transient(t, err); te.Code != "network" {
		t.Errorf("error %v, want code network", err)
	}
}

func TestCheckContextCanceled(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{Latency: 5 * time.Second})
	c := e.client()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Check(ctx, ref("x"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want one wrapping context.DeadlineExceeded", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("Check ignored its context")
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := c.Check(ctx, ref("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want one wrapping context.Canceled", err)
	}
}

func TestCheckBadRef(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{})
	c := e.client()
	if _, err := c.Check(context.Background(), verification.Ref{Provider: "advance"}); err == nil {
		t.Error("empty id accepted")
	}
	if _, err := c.Check(context.Background(), verification.Ref{Provider: "zoloz", ID: "x"}); err == nil {
		t.Error("zoloz reference accepted")
	}
	if e.fake.TotalCalls() != 0 || e.fake.TokenRequests() != 0 {
		t.Error("a bad reference reached the provider")
	}
}
