package zoloz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/kycpoller/kycpoller/internal/fake/zolozfake"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// clock is a settable clock shared by a client and the fake.
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

// members decodes a Result's Data into its top-level members.
func members(t *testing.T, data json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("Data is not a JSON object: %v", err)
	}
	return m
}

func TestCheckOutcomes(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(zolozfake.Options{})
	c := e.client()
	for id, sc := range map[string]zolozfake.Script{
		"success":   {Outcome: zolozfake.OutcomeSuccess},
		"default":   {},
		"failure":   {Outcome: zolozfake.OutcomeFailure},
		"cancelled": {Outcome: zolozfake.OutcomeVoidCancelled},
		"timeout":   {Outcome: zolozfake.OutcomeVoidTimeout},
		"pending":   {Outcome: zolozfake.OutcomePendingForever},
		"inprocess": {Outcome: zolozfake.OutcomeInProcessForever},
		"biz-ok":    {BizID: "biz-biz-ok"},
		"biz-wrong": {BizID: "some-other-biz"},
	} {
		e.fake.Register(id, sc)
	}

	final := func(s verification.Status, raw string) verification.Result {
		return verification.Result{Final: true, Status: s, ProviderStatus: raw}
	}
	tests := []struct {
		id   string
		want verification.Result
	}{
		{"success", final(verification.StatusPass, "Success")},
		{"default", final(verification.StatusPass, "Success")},
		{"failure", final(verification.StatusFail, "Failure")},
		{"cancelled", final(verification.StatusCancelled, "VoidCancelled")},
		{"timeout", final(verification.StatusIncomplete, "VoidTimeout")},
		{"pending", verification.Result{}},
		{"inprocess", verification.Result{}},
		{"biz-ok", final(verification.StatusPass, "Success")},
		{"biz-wrong", verification.Result{Final: true, Status: verification.StatusNotFound, ErrorCode: "PARAM_ILLEGAL"}},
		{"never-registered", verification.Result{Final: true, Status: verification.StatusNotFound, ErrorCode: "INVALID_ARGUMENT"}},
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
		if !tt.want.Final || tt.want.Status == verification.StatusNotFound {
			if data != nil {
				t.Errorf("%s: Data = %.80s, want nil", tt.id, data)
			}
			continue
		}
		m := members(t, data)
		if _, ok := m["result"]; ok {
			t.Errorf("%s: Data keeps the result envelope", tt.id)
		}
		if string(m["ekycResult"]) != `"`+tt.want.ProviderStatus+`"` {
			t.Errorf("%s: Data ekycResult = %s", tt.id, m["ekycResult"])
		}
		if !bytes.Contains(data, []byte(zolozfake.FakeName)) || !bytes.Contains(data, []byte(zolozfake.FakeIDNumber)) {
			t.Errorf("%s: Data lost the personal data sinks need", tt.id)
		}
	}
	if n := e.fake.BadRequestSignatures(); n != 0 {
		t.Errorf("BadRequestSignatures = %d, want 0", n)
	}
}

func TestCheckInProgressBecomesFinal(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t).withFake(zolozfake.Options{Now: clk.Now})
	c := e.client(func(o *Options) { o.Now = clk.Now })
	e.fake.Register("tx-1", zolozfake.Script{ReadyAfter: 10 * time.Second, Outcome: zolozfake.OutcomeFailure})

	// The fake answers Pending, then InProcess: both are not final.
	for i := range 2 {
		res, err := check(t, e, c, "tx-1")
		if err != nil || res.Final || res.Data != nil {
			t.Fatalf("call %d before ReadyAfter: %+v, %v; want not final", i+1, res, err)
		}
	}
	clk.Add(10 * time.Second)
	res, err := check(t, e, c, "tx-1")
	if err != nil || !res.Final || res.Status != verification.StatusFail {
		t.Fatalf("after ReadyAfter: %+v, %v; want FAIL", res, err)
	}
	if e.fake.CallsAfterFinal("tx-1") != 0 || e.fake.Calls("tx-1") != 3 {
		t.Errorf("calls %d, after final %d", e.fake.Calls("tx-1"), e.fake.CallsAfterFinal("tx-1"))
	}
}

func TestCheckResultCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(zolozfake.Options{})
	c := e.client()

	notFound := []string{"INVALID_ARGUMENT", "PARAM_MISSING", "PARAM_ILLEGAL", "MSG_PARSE_ERROR"}
	config := []string{"SIGNATURE_INVALID", "KEY_NOT_FOUND", "MERCHANT_NOT_FOUND", "ACCESS_DENIED", "OAUTH_FAIL", "PRODUCT_QUOTA_LIMIT"}
	transientCodes := []string{"SYSTEM_ERROR", "PROCESS_TIMEOUT", "BRAND_NEW_CODE"}

	for _, code := range notFound {
		e.fake.Register(code, zolozfake.Script{ResultCode: code})
		res, err := check(t, e, c, code)
		want := verification.Result{Final: true, Status: verification.StatusNotFound, ErrorCode: code}
		if err != nil || fmt.Sprint(res) != fmt.Sprint(want) {
			t.Errorf("%s: %+v, %v; want %+v", code, res, err, want)
		}
	}
	for _, code := range config {
		e.fake.Register(code, zolozfake.Script{ResultCode: code})
		_, err := check(t, e, c, code)
		if ce := configErr(t, err); ce.Code != code {
			t.Errorf("%s: ConfigError code %s", code, ce.Code)
		}
	}
	for _, code := range transientCodes {
		e.fake.Register(code, zolozfake.Script{ResultCode: code})
		_, err := check(t, e, c, code)
		if te := transient(t, err); te.Code != code || te.Throttled || te.RetryAfter != 0 {
			t.Errorf("%s: %+v", code, te)
		}
	}
	if !e.logged(zapcore.WarnLevel, "", "provider_code", "BRAND_NEW_CODE") || !e.logged(zapcore.WarnLevel, "", "verification_id", "BRAND_NEW_CODE") {
		t.Errorf("unknown code not logged with provider_code and verification_id: %v", e.logs.All())
	}

	e.fake.Register("throttled", zolozfake.Script{ResultCode: "REQUEST_TRAFFIC_EXCEED_LIMIT"})
	_, err := check(t, e, c, "throttled")
	if te := transient(t, err); te.Code != "REQUEST_TRAFFIC_EXCEED_LIMIT" || !te.Throttled || te.RetryAfter != ThrottleRetryAfter {
		t.Errorf("throttled: %+v", te)
	}
}

func TestCheckFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(zolozfake.Options{})
	var sigFailures atomic.Int32
	c := e.client(func(o *Options) {
		o.Timeout = 300 * time.Millisecond
		o.OnSignatureFailure = func() { sigFailures.Add(1) }
	})

	tests := []struct {
		fault      zolozfake.Fault
		code       string
		throttled  bool
		retryAfter time.Duration
		badSig     bool
	}{
		{zolozfake.Fault{Kind: zolozfake.HTTP500}, "http_500", false, 0, false},
		{zolozfake.Fault{Kind: zolozfake.HTTP429, RetryAfter: "7"}, "http_429", true, 7 * time.Second, false},
		{zolozfake.Fault{Kind: zolozfake.HTTP429}, "http_429", true, 0, false},
		{zolozfake.Fault{Kind: zolozfake.StatusU}, "SYSTEM_ERROR", false, 0, false},
		{zolozfake.Fault{Kind: zolozfake.TrafficLimit}, "REQUEST_TRAFFIC_EXCEED_LIMIT", true, ThrottleRetryAfter, false},
		{zolozfake.Fault{Kind: zolozfake.TrafficLimit, RetryAfter: "12"}, "REQUEST_TRAFFIC_EXCEED_LIMIT", true, 12 * time.Second, false},
		{zolozfake.Fault{Kind: zolozfake.Garbage}, "invalid_json", false, 0, false},
		{zolozfake.Fault{Kind: zolozfake.HTML}, "content_type", false, 0, false},
		{zolozfake.Fault{Kind: zolozfake.Timeout}, "timeout", false, 0, false},
		{zolozfake.Fault{Kind: zolozfake.BadSignature}, CodeResponseSignature, false, 0, true},
		{zolozfake.Fault{Kind: zolozfake.TamperedBody}, CodeResponseSignature, false, 0, true},
		{zolozfake.Fault{Kind: zolozfake.Unsigned}, CodeResponseSignature, false, 0, true},
	}
	wantSigFailures := int32(0)
	for _, tt := range tests {
		id := "fault-" + string(tt.fault.Kind) + "-" + tt.fault.RetryAfter
		e.fake.Register(id, zolozfake.Script{Faults: []zolozfake.Fault{tt.fault}})
		start := time.Now()
		_, err := check(t, e, c, id)
		te := transient(t, err)
		if te.Code != tt.code || te.Throttled != tt.throttled || te.RetryAfter != tt.retryAfter {
			t.Errorf("%s: %+v, want code %s throttled %v retry after %s", id, te, tt.code, tt.throttled, tt.retryAfter)
		}
		if tt.badSig {
			wantSigFailures++
			if !errors.Is(err, ErrResponseSignature) {
				t.Errorf("%s: error %v does not wrap ErrResponseSignature", id, err)
			}
			if !e.logged(zapcore.ErrorLevel, "zoloz response signature verification failed", "verification_id", id) {
				t.Errorf("%s: no error log naming the verification", id)
			}
		}
		if got := sigFailures.Load(); got != wantSigFailures {
			t.Errorf("%s: OnSignatureFailure called %d times, want %d", id, got, wantSigFailures)
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
	if !e.logged(zapcore.ErrorLevel, "zoloz response signature verification failed", "provider", "zoloz") {
		t.Error("signature failures not logged with provider")
	}
}

func TestCheckSignatureVerificationDisabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(zolozfake.Options{})
	called := false
	c := e.client(func(o *Options) {
		o.VerifyResponseSignature = false
		o.ZolozPublicKey = nil
		o.OnSignatureFailure = func() { called = true }
	})
	if !e.logged(zapcore.WarnLevel, "zoloz response signature verification is disabled: answers are trusted unchecked", "provider", "zoloz") {
		t.Error("disabled verification not logged at New")
	}
	for _, kind := range []zolozfake.FaultKind{zolozfake.BadSignature, zolozfake.TamperedBody, zolozfake.Unsigned} {
		id := "unchecked-" + string(kind)
		e.fake.Register(id, zolozfake.Script{Faults: []zolozfake.Fault{{Kind: kind}}})
		res, err := check(t, e, c, id)
		if err != nil || res.Status != verification.StatusPass {
			t.Errorf("%s: %+v, %v; want PASS accepted unchecked", kind, res, err)
		}
	}
	if called {
		t.Error("OnSignatureFailure called with verification disabled")
	}
}

func TestCheckRequestRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(zolozfake.Options{})
	e.fake.Register("tx", zolozfake.Script{})

	// Signed with a key the gateway does not know.
	c := e.client(func(o *Options) { o.MerchantPrivateKey = otherKey })
	_, err := check(t, e, c, "tx")
	if ce := configErr(t, err); ce.Code != "SIGNATURE_INVALID" {
		t.Errorf("wrong merchant key: %v", err)
	}
	if n := e.fake.BadRequestSignatures(); n != 1 {
		t.Errorf("BadRequestSignatures = %d, want 1", n)
	}

	c = e.client(func(o *Options) { o.ClientID = "2188000000000001" })
	_, err = check(t, e, c, "tx")
	// The fake signed its answer for its own client id, so the answer does
	// not verify for ours: never trusted, whatever it says.
	if te := transient(t, err); te.Code != CodeResponseSignature {
		t.Errorf("wrong client id: %v", err)
	}
	c = e.client(func(o *Options) { o.ClientID = "2188000000000001"; o.VerifyResponseSignature = false })
	_, err = check(t, e, c, "tx")
	if ce := configErr(t, err); ce.Code != "MERCHANT_NOT_FOUND" {
		t.Errorf("wrong client id, unchecked: %v", err)
	}
}

func TestCheckRequestOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(zolozfake.Options{IncludeImages: true})
	e.fake.Register("tx", zolozfake.Script{})

	plain := e.client()
	res, err := check(t, e, plain, "tx")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(res.Data, []byte("faceImg")) || !bytes.Contains(res.Data, []byte("OTHER_CHECK")) {
		t.Errorf("without options: images or five categories in %.300s", res.Data)
	}

	rich := e.client(func(o *Options) {
		o.IsReturnImage = true
		o.ExtraImageControlList = []string{"DOC_FRONT_ANGLE", "FACE_EYE_CLOSE"}
		o.ReturnFiveCategorySpoofResult = true
	})
	res, err = check(t, e, rich, "tx")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		ExtFaceInfo struct {
			FaceImg     string            `json:"faceImg"`
			ExtraImages map[string]string `json:"extraImages"`
		} `json:"extFaceInfo"`
		ExtIDInfo struct {
			ExtraImages map[string]string `json:"extraImages"`
			SpoofResult map[string]string `json:"spoofResult"`
		} `json:"extIdInfo"`
	}
	if err := json.Unmarshal(res.Data, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.ExtFaceInfo.FaceImg) < 200_000 {
		t.Errorf("faceImg is %d bytes, want a realistic image", len(d.ExtFaceInfo.FaceImg))
	}
	if d.ExtFaceInfo.ExtraImages["FACE_EYE_CLOSE"] == "" || d.ExtIDInfo.ExtraImages["DOC_FRONT_ANGLE"] == "" {
		t.Error("extra images not returned: extraImageControlList not sent as the API names it")
	}
	if d.ExtIDInfo.SpoofResult["INFORMATION_CHECK"] != "Y" {
		t.Error("five-category spoof result not returned")
	}

	// Images need room.
	small := e.client(func(o *Options) { o.IsReturnImage = true; o.MaxResponseBytes = 100 << 10 })
	_, err = check(t, e, small, "tx")
	if te := transient(t, err); te.Code != "response_too_large" || !strings.Contains(err.Error(), "response exceeds 102400 bytes") {
		t.Errorf("small MaxResponseBytes: %v", err)
	}
}

func TestCheckRequestOnTheWire(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var got struct {
		header http.Header
		body   []byte
	}
	e.withRaw(func(w http.ResponseWriter, r *http.Request) {
		got.header = r.Header.Clone()
		got.body, _ = io.ReadAll(r.Body)
		writeSigned(w, zolozKey, `{"result":{"resultCode":"SUCCESS","resultMessage":"Success","resultStatus":"S"},"ekycResult":"InProcess"}`)
	})
	at := time.Date(2019, 4, 4, 12, 8, 56, 0, time.FixedZone("IST", 5*3600+1800))
	c := e.client(func(o *Options) {
		o.Now = func() time.Time { return at }
		o.IsReturnImage = true
		o.ExtraImageControlList = []string{"FACE_EYE_CLOSE", "DOC_FRONT_ANGLE"}
		o.ReturnFiveCategorySpoofResult = true
	})
	if _, err := c.Check(context.Background(), verification.Ref{Provider: "zoloz", ID: "G000000005FID20200304000000000001570702", BizID: "2017839040588699"}); err != nil {
		t.Fatal(err)
	}
	wantBody := `{"bizId":"2017839040588699","transactionId":"G000000005FID20200304000000000001570702","isReturnImage":"Y","extraImageControlList":["FACE_EYE_CLOSE","DOC_FRONT_ANGLE"],"returnFiveCategorySpoofResult":"Y"}`
	if string(got.body) != wantBody {
		t.Errorf("body\n%s\nwant\n%s", got.body, wantBody)
	}
	for name, want := range map[string]string{
		"Client-Id":    testClientID,
		"Request-Time": "2019-04-04T12:08:56+0530",
		"Content-Type": "application/json; charset=UTF-8",
	} {
		if v := got.header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
	sig, ok := strings.CutPrefix(got.header.Get("Signature"), "algorithm=RSA256, signature=")
	if !ok {
		t.Fatalf("Signature header %q", got.header.Get("Signature"))
	}
	if err := VerifyResponse(&merchantKey.PublicKey, CheckResultPath, testClientID, "2019-04-04T12:08:56+0530", got.body, "signature="+sig); err != nil {
		t.Errorf("request signature does not verify over the bytes sent: %v", err)
	}

	// Without images, the optional list is left out.
	c = e.client()
	if _, err := check(t, e, c, "tx"); err != nil {
		t.Fatal(err)
	}
	if want := `{"bizId":"biz-tx","transactionId":"tx","isReturnImage":"N","returnFiveCategorySpoofResult":"N"}`; string(got.body) != want {
		t.Errorf("body %s, want %s", got.body, want)
	}
}

func TestCheckSignedAnswers(t *testing.T) {
	t.Parallel()
	const env = `"result":{"resultCode":"SUCCESS","resultMessage":"Success","resultStatus":"S"}`
	pii := `"extBasicInfo":{"certName":"` + rawName + `","certNo":"R7654321"}`
	failed := func(status, code string) string {
		return `{"result":{"resultCode":"` + code + `","resultMessage":"` + rawMessage + `","resultStatus":"` + status + `"},` + pii + `}`
	}
	type want struct {
		res       *verification.Result
		transient string
		config    string
		warn      string // a warning message to expect
	}
	tests := []struct {
		name string
		body string
		want want
	}{
		{"lower-case success", `{` + env + `,"ekycResult":"success",` + pii + `}`, want{res: &verification.Result{Final: true, Status: verification.StatusPass, ProviderStatus: "success"}}},
		{"upper-case void timeout", `{` + env + `,"ekycResult":"VOIDTIMEOUT"}`, want{res: &verification.Result{Final: true, Status: verification.StatusIncomplete, ProviderStatus: "VOIDTIMEOUT"}}},
		{"status and code in lower case", `{"result":{"resultCode":"success","resultStatus":"s"},"ekycResult":"Pending"}`, want{res: &verification.Result{}}},
		{"unknown ekycResult", `{` + env + `,"ekycResult":"ManualReview",` + pii + `}`, want{transient: CodeUnknownResult, warn: "provider answered an ekycResult this client does not know"}},
		{"no ekycResult", `{` + env + `,` + pii + `}`, want{transient: CodeUnknownResult}},
		{"null ekycResult", `{` + env + `,"ekycResult":null}`, want{transient: CodeUnknownResult}},
		{"number ekycResult", `{` + env + `,"ekycResult":1}`, want{transient: CodeUnknownResult}},
		{"empty ekycResult", `{` + env + `,"ekycResult":""}`, want{transient: CodeUnknownResult}},
		{"U SYSTEM_ERROR", failed("U", "SYSTEM_ERROR"), want{transient: "SYSTEM_ERROR"}},
		{"U with a final-looking code", failed("U", "PARAM_ILLEGAL"), want{transient: "PARAM_ILLEGAL"}},
		{"U without code", `{"result":{"resultStatus":"U","resultMessage":"` + rawMessage + `"}}`, want{transient: "status_unknown"}},
		{"U SUCCESS", failed("U", "SUCCESS"), want{transient: "status_unknown"}},
		{"F SYSTEM_ERROR", failed("F", "SYSTEM_ERROR"), want{transient: "SYSTEM_ERROR"}},
		{"F PARAM_MISSING", failed("F", "PARAM_MISSING"), want{res: &verification.Result{Final: true, Status: verification.StatusNotFound, ErrorCode: "PARAM_MISSING"}}},
		{"F lower-case code", failed("F", "access_denied"), want{config: "ACCESS_DENIED"}},
		{"F unknown code", failed("F", "NEW_CODE_2030"), want{transient: "NEW_CODE_2030", warn: "provider answered an unknown result code"}},
		{"F SUCCESS", failed("F", "SUCCESS"), want{transient: "invalid_envelope"}},
		{"F code that is not a code", failed("F", rawName), want{transient: "invalid_envelope"}},
		{"S with an error code", failed("S", "PARAM_ILLEGAL"), want{transient: "invalid_envelope"}},
		{"no status", `{"result":{"resultCode":"PARAM_ILLEGAL"},` + pii + `}`, want{transient: "invalid_envelope"}},
		{"odd status", failed("X", "PARAM_ILLEGAL"), want{transient: "invalid_envelope"}},
		{"status not a string", `{"result":{"resultStatus":1,"resultCode":"SUCCESS"},"ekycResult":"Success"}`, want{transient: "invalid_envelope"}},
		{"no result", `{"ekycResult":"Success",` + pii + `}`, want{transient: "invalid_envelope"}},
		{"result not an object", `{"result":"S","ekycResult":"Success"}`, want{transient: "invalid_envelope"}},
		{"not an object", `["` + rawName + `"]`, want{transient: "invalid_envelope"}},
		{"empty body", ``, want{transient: "invalid_json"}},
		{"truncated", `{` + env + `,"extBasicInfo":{"certName":"` + rawName, want{transient: "invalid_json"}},
		{"syntax error", `{` + env + `,"ekycResult":Success` + rawName + `}`, want{transient: "invalid_json"}},
		{"data after the object", `{` + env + `,"ekycResult":"Success"} {"` + rawName + `":1}`, want{transient: "invalid_json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t).withRaw(signedAnswer(tt.body))
			res, err := check(t, e, e.client(), "tx-1")
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
				if te.Code != tt.want.transient || te.Throttled || te.RetryAfter != 0 {
					t.Errorf("%+v, want code %s", te, tt.want.transient)
				}
				if verification.ErrorCode(err) != tt.want.transient {
					t.Errorf("verification.ErrorCode = %q", verification.ErrorCode(err))
				}
			}
			if tt.want.warn != "" && !e.logged(zapcore.WarnLevel, tt.want.warn, "verification_id", "tx-1") {
				t.Errorf("no warning %q; logs: %v", tt.want.warn, e.logs.All())
			}
		})
	}
}

func TestCheckHTTPAnswers(t *testing.T) {
	t.Parallel()
	const js = "application/json; charset=UTF-8"
	retryDate := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	okBody := `{"result":{"resultCode":"SUCCESS","resultMessage":"Success","resultStatus":"S"},"ekycResult":"Pending"}`
	// A valid signature announced as another algorithm.
	otherAlgorithm := func(w http.ResponseWriter, r *http.Request) {
		respTime := time.Now().Format(TimeLayout)
		sig, _ := SignRequest(zolozKey, CheckResultPath, testClientID, respTime, []byte(okBody))
		w.Header().Set(HeaderResponseTime, respTime)
		w.Header().Set(HeaderSignature, "algorithm=SHA1withRSA, signature="+sig)
		w.Header().Set("Content-Type", js)
		_, _ = io.WriteString(w, okBody)
	}

	type want struct {
		transient  string
		config     string
		throttled  bool
		retryAfter time.Duration // minimum; exact unless an HTTP date
	}
	tests := []struct {
		name string
		h    http.HandlerFunc
		want want
	}{
		{"HTTP 401", rawAnswer(401, js, `{"result":{"resultMessage":"`+rawMessage+`"}}`), want{config: "http_401"}},
		{"HTTP 403 HTML", rawAnswer(403, "text/html", `<html>`+rawName+`</html>`), want{config: "http_403"}},
		{"HTTP 404", rawAnswer(404, "text/plain", `not found`), want{config: "http_404"}},
		{"HTTP 302", rawAnswer(302, "", ``, "Location", "https://example.invalid/"), want{config: "http_302"}},
		{"HTTP 400", rawAnswer(400, js, `{}`), want{config: "http_400"}},
		{"HTTP 408", rawAnswer(408, "text/plain", `slow`), want{transient: "http_408"}},
		{"HTTP 502 HTML", rawAnswer(502, "text/html", `<html><body>`+rawName+`</body></html>`), want{transient: "http_502"}},
		{"HTTP 503 Retry-After", rawAnswer(503, "text/plain", `busy`, "Retry-After", "30"), want{transient: "http_503", retryAfter: 30 * time.Second}},
		{"HTTP 429 date", rawAnswer(429, js, `{}`, "Retry-After", retryDate), want{transient: "http_429", throttled: true, retryAfter: 80 * time.Second}},
		{"JSON as text/plain", rawAnswer(200, "text/plain", okBody), want{transient: "content_type"}},
		{"unparsable content type", rawAnswer(200, "application/json; charset", okBody), want{transient: "content_type"}},
		{"unsigned answer", rawAnswer(200, js, okBody), want{transient: CodeResponseSignature}},
		{"signed by another key", func(w http.ResponseWriter, r *http.Request) { writeSigned(w, otherKey, okBody) }, want{transient: CodeResponseSignature}},
		{"no Response-Time", signedAnswer(okBody, HeaderResponseTime, ""), want{transient: CodeResponseSignature}},
		{"other Response-Time", signedAnswer(okBody, HeaderResponseTime, "2001-01-01T00:00:00+0000"), want{transient: CodeResponseSignature}},
		{"unknown algorithm", otherAlgorithm, want{transient: CodeResponseSignature}},
		{"traffic limit with Retry-After", signedAnswer(`{"result":{"resultCode":"REQUEST_TRAFFIC_EXCEED_LIMIT","resultMessage":"`+rawMessage+`","resultStatus":"F"}}`, "Retry-After", "20"),
			want{transient: "REQUEST_TRAFFIC_EXCEED_LIMIT", throttled: true, retryAfter: 20 * time.Second}},
		{"traffic limit with a short Retry-After", signedAnswer(`{"result":{"resultCode":"REQUEST_TRAFFIC_EXCEED_LIMIT","resultStatus":"F"}}`, "Retry-After", "1"),
			want{transient: "REQUEST_TRAFFIC_EXCEED_LIMIT", throttled: true, retryAfter: ThrottleRetryAfter}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t).withRaw(tt.h)
			calls := 0
			c := e.client(func(o *Options) { o.OnSignatureFailure = func() { calls++ } })
			_, err := check(t, e, c, "tx-1")
			if tt.want.config != "" {
				if ce := configErr(t, err); ce.Code != tt.want.config {
					t.Errorf("code %s, want %s", ce.Code, tt.want.config)
				}
				return
			}
			te := transient(t, err)
			if te.Code != tt.want.transient || te.Throttled != tt.want.throttled {
				t.Errorf("%+v, want code %s throttled %v", te, tt.want.transient, tt.want.throttled)
			}
			if te.RetryAfter < tt.want.retryAfter || (tt.want.retryAfter == 0 && te.RetryAfter != 0) ||
				te.RetryAfter > tt.want.retryAfter+15*time.Second {
				t.Errorf("RetryAfter %s, want about %s", te.RetryAfter, tt.want.retryAfter)
			}
			if wantCalls := map[bool]int{true: 1}[tt.want.transient == CodeResponseSignature]; calls != wantCalls {
				t.Errorf("OnSignatureFailure called %d times, want %d", calls, wantCalls)
			}
		})
	}
}

func TestCheckDataKeptExactly(t *testing.T) {
	t.Parallel()
	body := "{\n  \"extBasicInfo\" : {\"certName\":\"\\u00c9MILE \\\"Z\\\"\", \"n\":1.50e1},\n" +
		"  \"result\": {\"resultCode\":\"SUCCESS\",\"resultMessage\":\"Success\",\"resultStatus\":\"S\"},\r\n" +
		"\t\"ekycResult\":\"Success\",\"extFaceInfo\":{\"faceScore\":88,\"a\":[1, 2 ,{\"result\":true}]}, \"z\":null\n}\n"
	want := "{\"extBasicInfo\" : {\"certName\":\"\\u00c9MILE \\\"Z\\\"\", \"n\":1.50e1}," +
		"\"ekycResult\":\"Success\",\"extFaceInfo\":{\"faceScore\":88,\"a\":[1, 2 ,{\"result\":true}]},\"z\":null}"
	e := newEnv(t).withRaw(signedAnswer(body))
	res, err := check(t, e, e.client(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Data) != want {
		t.Errorf("Data = %q\nwant   %q", res.Data, want)
	}
	if !json.Valid(res.Data) {
		t.Error("Data is not valid JSON")
	}

	// result first, and as the only other member.
	e = newEnv(t).withRaw(signedAnswer(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"ekycResult":"Failure"}`))
	res, err = check(t, e, e.client(), "x")
	if err != nil || string(res.Data) != `{"ekycResult":"Failure"}` {
		t.Errorf("Data = %s, %v", res.Data, err)
	}
}

func TestCheckSlowBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.withRaw(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"extBasicInfo":{"certName":"`+rawName)
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

func TestCheckEndlessBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.withRaw(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(strings.Repeat(rawName+" ", 1000))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	c := e.client(func(o *Options) { o.MaxResponseBytes = 1 << 20 })
	_, err := check(t, e, c, "endless")
	if te := transient(t, err); te.Code != "response_too_large" {
		t.Errorf("error %v, want response_too_large", err)
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
	e := newEnv(t).withFake(zolozfake.Options{Latency: 5 * time.Second})
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
	e := newEnv(t).withFake(zolozfake.Options{})
	c := e.client()
	for _, r := range []verification.Ref{
		{Provider: "zoloz", BizID: "b"},
		{Provider: "zoloz", ID: "x"},
		{Provider: "advance", ID: "x", BizID: "b"},
	} {
		if _, err := c.Check(context.Background(), r); err == nil {
			t.Errorf("%+v accepted", r)
		}
	}
	if e.fake.TotalCalls() != 0 {
		t.Error("a bad reference reached the provider")
	}
}

func TestCheckConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(zolozfake.Options{AutoScript: true})
	c := e.client()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("success-0s-%d", i%4)
			res, err := c.Check(context.Background(), verification.Ref{Provider: "zoloz", ID: id, BizID: "b"})
			if err != nil || res.Status != verification.StatusPass {
				t.Errorf("%s: %+v, %v", id, res, err)
			}
		}()
	}
	wg.Wait()
	if n := e.fake.TotalCalls(); n != 16 {
		t.Errorf("TotalCalls = %d", n)
	}
}
