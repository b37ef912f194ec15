package worker_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/fake/zolozfake"
	"github.com/kycpoller/kycpoller/internal/provider/advance"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Credentials of TestNoPersonalDataAnywhere: recognisable, so that a leak is
// found.
const (
	pdAPIToken       = "pd-api-token-0123456789"
	pdCallbackToken  = "pd-callback-token-0123456789"
	pdDashboardToken = "pd-dashboard-token-0123456789"
	pdDashboardPass  = "pd-dashboard-password-0123456789"
	pdMetricsToken   = "pd-metrics-token-0123456789"
)

// taskStates are asynq's task states, as the dashboard's list routes name
// them ("/api/queues/{queue}/{state}_tasks").
var taskStates = []string{"pending", "active", "scheduled", "retry", "archived", "completed"}

// longBase64 matches a run of base64 long enough to be an image or key
// material; nothing the worker writes or serves has one.
var longBase64 = regexp.MustCompile(`[A-Za-z0-9+/]{200,}`)

// Full flows through both providers, with base64 images, every final
// status, transient faults, a configuration error, a retried and a
// dead-lettered delivery, the API and the callback, logging at debug level.
// Then everything the worker wrote or serves (every log line, every task of
// every queue and state through asynq's Inspector, the dashboard's API for
// each of them, /metrics, the HTTP API's status answers, the configuration
// dump) is scanned: none of the fake personal data, the providers'
// credentials and access token, ZOLOZ's private key, the webhook secret, the
// event encryption key or any HTTP credential may appear.
func TestNoPersonalDataAnywhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{
		Advance: advancefake.Options{AutoScript: true},
		Zoloz:   zolozfake.Options{AutoScript: true, IncludeImages: true},
		Config: sandbox.ConfigParams{
			MaxAge: 15 * time.Second, ProviderTimeout: time.Second, LogLevel: "debug",
			RetrySchedule: []time.Duration{time.Second, time.Second, time.Second},
		},
	})
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
	t.Cleanup(gone.Close)
	cfg := e.cfg
	cfg.Providers.Advance.ReturnImageType = config.ReturnImageTypeBase64
	cfg.Providers.Zoloz.IsReturnImage = "Y"
	def := cfg.Sinks["default"]
	def.IncludeImages = true // so that the deliveries prove the images were there
	cfg.Sinks["default"] = def
	goneSink := def
	goneSink.URL = gone.URL + "/kyc"
	cfg.Sinks["gone"] = goneSink
	cfg.API.Tokens = []config.Secret{pdAPIToken}
	cfg.Callbacks.Advance.Token = pdCallbackToken
	cfg.HTTP.Dashboard.BearerToken = pdDashboardToken
	cfg.HTTP.Dashboard.BasicAuth = config.DashboardBasicAuth{Username: "ops", Password: pdDashboardPass}
	cfg.HTTP.MetricsToken = pdMetricsToken
	encKey := make([]byte, 32)
	_, _ = rand.Read(encKey)
	cfg.Events.EncryptionKey = config.Secret(base64.StdEncoding.EncodeToString(encKey))
	cfg.Log = config.Log{Level: "debug", Format: "json"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	// Scripts: auto-scripted ids for every final status, and registered
	// ones for faults and a configuration error.
	e.sb.Advance.Register("pd-adv-flaky", advancefake.Script{Outcome: advancefake.OutcomePass, Faults: []advancefake.Fault{
		{Kind: advancefake.Garbage}, {Kind: advancefake.HTML}, {Kind: advancefake.CodeError}, {Kind: advancefake.IAMFailed},
		{Kind: advancefake.HTTP500}, {Kind: advancefake.WrongContentType}, {Kind: advancefake.Timeout},
	}})
	e.sb.Zoloz.Register("pd-zz-flaky", zolozfake.Script{BizID: "biz-flaky", Outcome: zolozfake.OutcomeSuccess, Faults: []zolozfake.Fault{
		{Kind: zolozfake.BadSignature}, {Kind: zolozfake.TamperedBody}, {Kind: zolozfake.Garbage}, {Kind: zolozfake.HTML},
		{Kind: zolozfake.HTTP500}, {Kind: zolozfake.StatusU}, {Kind: zolozfake.Unsigned}, {Kind: zolozfake.WrongContentType},
	}})
	e.sb.Zoloz.Register("pd-zz-config", zolozfake.Script{BizID: "biz-config", ResultCode: "ACCESS_DENIED"})
	e.sb.Zoloz.Register("pd-zz-config-late", zolozfake.Script{BizID: "biz-config", ResultCode: "KEY_NOT_FOUND"})
	refs := []tasks.Request{
		{Ref: verification.Ref{Provider: "advance", ID: "pass-1s-pd"}},
		{Ref: verification.Ref{Provider: "advance", ID: "fail-0s-pd"}},
		{Ref: verification.Ref{Provider: "advance", ID: "incomplete-1s-pd"}},
		{Ref: verification.Ref{Provider: "advance", ID: "notfound-0s-pd"}},
		{Ref: verification.Ref{Provider: "advance", ID: "pending-0s-pd"}}, // TIMEOUT
		{Ref: verification.Ref{Provider: "advance", ID: "pd-adv-flaky"}},
		{Ref: verification.Ref{Provider: "zoloz", ID: "success-1s-pd", BizID: "biz-1"}},
		{Ref: verification.Ref{Provider: "zoloz", ID: "failure-0s-pd", BizID: "biz-2"}},
		{Ref: verification.Ref{Provider: "zoloz", ID: "cancelled-0s-pd", BizID: "biz-3"}},
		{Ref: verification.Ref{Provider: "zoloz", ID: "timeout-0s-pd", BizID: "biz-4"}},
		{Ref: verification.Ref{Provider: "zoloz", ID: "inprocess-0s-pd", BizID: "biz-5"}}, // TIMEOUT
		{Ref: verification.Ref{Provider: "zoloz", ID: "pd-zz-unknown", BizID: "biz-6"}},   // NOT_FOUND
		{Ref: verification.Ref{Provider: "zoloz", ID: "pd-zz-flaky", BizID: "biz-flaky"}},
		{Ref: verification.Ref{Provider: "zoloz", ID: "pd-zz-config", BizID: "biz-config"}}, // TIMEOUT
	}

	var logs syncBuffer
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&logs), zap.DebugLevel)
	e.sb.Receiver.FailNext(2, http.StatusInternalServerError, "")
	e.startWorkerWithLog(t, cfg, zap.New(core))
	base := "http://" + cfg.HTTP.Addr
	waitListening(t, base)
	for _, r := range refs {
		if _, err := e.enq.Enqueue(context.Background(), r); err != nil {
			t.Fatalf("enqueue %s: %v", r.Ref, err)
		}
	}
	// Through the API: one to the default sink, one to the sink that
	// answers 410 (a dead letter).
	for _, body := range []string{`{"provider":"advance","id":"pass-0s-api"}`, `{"provider":"advance","id":"pass-0s-gone","sink":"gone"}`} {
		if code, b := httpDo(t, "POST", base+"/v1/verifications", "Bearer "+pdAPIToken, body); code != http.StatusAccepted {
			t.Fatalf("POST /v1/verifications %s: %d %s", body, code, b)
		}
	}
	if code, b := httpDo(t, "POST", base+"/callbacks/advance?token="+pdCallbackToken, "", `{"signatureId":"pass-1s-pd","type":"COMPLETED"}`); code != http.StatusOK {
		t.Fatalf("callback: %d %s", code, b)
	}
	waitDelivered(t, e, len(refs)+1, 90*time.Second)
	deliveryQ := cfg.Worker.Queues.Delivery.Name
	waitFor(t, 30*time.Second, func() bool { // the delivery to the 410 sink is archived
		tis, err := e.ins.ListArchivedTasks(deliveryQ)
		return err == nil && len(tis) == 1
	})

	// Tasks left in the other states: waiting (retry, one with a
	// configuration error as its last error) and scheduled for later.
	later := *cfg
	later.Polling.FirstDelay = time.Hour
	lateRefs := []tasks.Request{
		{Ref: verification.Ref{Provider: "advance", ID: "pending-0s-late"}},
		{Ref: verification.Ref{Provider: "zoloz", ID: "pd-zz-config-late", BizID: "biz-config"}},
	}
	for _, r := range lateRefs {
		if _, err := e.enq.Enqueue(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tasks.NewEnqueuer(e.rdb, &later).Enqueue(context.Background(), tasks.Request{Ref: verification.Ref{Provider: "advance", ID: "pass-0s-later"}}); err != nil {
		t.Fatal(err)
	}
	pollQ := cfg.Worker.Queues.Poll.Name
	waitFor(t, 30*time.Second, func() bool { // both late polls wait, with a last error
		n := 0
		for _, r := range lateRefs {
			ti, err := e.ins.GetTaskInfo(pollQ, tasks.PollTaskID(r.Provider, r.ID))
			if err == nil && ti.State == asynq.TaskStateRetry && ti.LastErr != "" {
				n++
			}
		}
		return n == len(lateRefs)
	})

	// Everything the worker wrote or serves.
	var seen strings.Builder
	var taskIDs []string
	for _, q := range []string{pollQ, deliveryQ} {
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
			e.ins.ListPendingTasks, e.ins.ListActiveTasks, e.ins.ListScheduledTasks,
			e.ins.ListRetryTasks, e.ins.ListArchivedTasks, e.ins.ListCompletedTasks,
		} {
			tis, err := list(q, asynq.PageSize(1000))
			if err != nil {
				t.Fatalf("list tasks of %s: %v", q, err)
			}
			for _, ti := range tis {
				taskIDs = append(taskIDs, q+"/"+ti.ID)
				fmt.Fprintf(&seen, "%s\n%s\n%s\n", ti.Payload, ti.LastErr, ti.Result)
			}
		}
	}
	dash := "Bearer " + pdDashboardToken
	served := func(path, auth string) string {
		t.Helper()
		code, body := httpDo(t, "GET", base+path, auth, "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %.300s", path, code, body)
		}
		seen.WriteString(body + "\n")
		return body
	}
	for _, p := range []string{"/queues", "/queue_stats", "/servers", "/redis_info", "/scheduler_entries"} {
		served("/monitoring/api"+p, dash)
	}
	var dashboardLists strings.Builder
	for _, q := range []string{pollQ, deliveryQ} {
		served("/monitoring/api/queues/"+q, dash)
		for _, st := range taskStates {
			dashboardLists.WriteString(served("/monitoring/api/queues/"+q+"/"+st+"_tasks?page=1&size=1000", dash))
		}
	}
	for _, qid := range taskIDs {
		q, id, _ := strings.Cut(qid, "/")
		served("/monitoring/api/queues/"+q+"/tasks/"+url.PathEscape(id), dash)
	}
	metricsText := served("/metrics", "Bearer "+pdMetricsToken)
	for _, r := range append(append(refs, lateRefs...), tasks.Request{Ref: verification.Ref{Provider: "advance", ID: "pass-0s-api"}}) {
		served("/v1/verifications/"+r.Provider+"/"+url.PathEscape(r.ID), "Bearer "+pdAPIToken)
	}
	dump := cfg.Dump()
	seen.WriteString(dump + "\n")
	seen.WriteString(logs.String())
	text := seen.String()
	t.Logf("scanned %d bytes: %d of logs, %d tasks, %d of dashboard task lists, %d of metrics", len(text), len(logs.String()), len(taskIDs), dashboardLists.Len(), len(metricsText))

	// The scan must have seen what it claims to scan.
	for what, ok := range map[string]bool{
		"log lines of final results":             strings.Contains(logs.String(), "verification final"),
		"debug log lines":                        strings.Contains(logs.String(), `"level":"debug"`),
		"ZOLOZ log lines":                        strings.Contains(logs.String(), `"provider":"zoloz"`),
		"dashboard lists with tasks":             strings.Contains(dashboardLists.String(), "success-1s-pd") && strings.Contains(dashboardLists.String(), "pd-zz-config-late"),
		"the configuration error as last error":  strings.Contains(text, "configuration error"),
		"metrics of polls":                       strings.Contains(metricsText, "kycpoller_polls_total"),
		"a redacted configuration dump":          strings.Contains(dump, "[REDACTED]"),
		"tasks in every state but active":        len(taskIDs) > len(refs),
		"provider calls answered with images":    e.sb.Zoloz.Calls("success-1s-pd") > 0 && e.sb.Advance.Calls("pass-1s-pd") > 0,
		"deliveries that carried personal data":  deliveredContains(e, zolozfake.FakeName) && deliveredContains(e, advancefake.FakeFullName),
		"deliveries that carried base64 images":  deliveredMatches(e, longBase64),
		"a delivery retried after a 500 answer":  e.sb.Receiver.Requests() > len(e.sb.Receiver.Accepted()),
		"a transient error stored as last error": strings.Contains(text, "temporarily") || strings.Contains(text, "http_500") || strings.Contains(text, "invalid_json") || strings.Contains(text, "signature"),
	} {
		if !ok {
			t.Errorf("the scan saw no %s: it would prove nothing", what)
		}
	}

	for _, s := range pdSecrets(t, e, cfg) {
		if strings.Contains(text, s.value) {
			t.Errorf("found %s (%q) in what the worker wrote or serves", s.name, s.value)
		}
	}
	if m := longBase64.FindString(text); m != "" {
		t.Errorf("found %d bytes of base64 (an image or key material?) in what the worker wrote or serves: %.80s...", len(m), m)
	}
}

type pdSecret struct{ name, value string }

// pdSecrets lists what must not appear: the fakes' personal data and
// messages, their base64 images, every credential of cfg, ADVANCE.AI's
// access token and ZOLOZ's merchant private key.
func pdSecrets(t *testing.T, e *env, cfg *config.Config) []pdSecret {
	t.Helper()
	var out []pdSecret
	for _, s := range advancefake.PersonalData() {
		out = append(out, pdSecret{"ADVANCE.AI personal data or message", s})
	}
	for _, s := range zolozfake.PersonalData() {
		out = append(out, pdSecret{"ZOLOZ personal data or message", s})
	}
	for _, name := range []string{"faceImageFar", "faceImageNear", "auditImage", "docFrontImage", "docBackImage"} {
		out = append(out, pdSecret{"an ADVANCE.AI base64 image", base64.StdEncoding.EncodeToString([]byte("fake image bytes: " + name))})
	}
	out = append(out,
		pdSecret{"the ADVANCE.AI access key", string(cfg.Providers.Advance.AccessKey)},
		pdSecret{"the ADVANCE.AI secret key", string(cfg.Providers.Advance.SecretKey)},
		pdSecret{"the webhook secret", strings.TrimPrefix(string(cfg.Sinks["default"].Secret), "whsec_")},
		pdSecret{"the event encryption key", string(cfg.Events.EncryptionKey)},
		pdSecret{"the API token", pdAPIToken},
		pdSecret{"the callback token", pdCallbackToken},
		pdSecret{"the dashboard token", pdDashboardToken},
		pdSecret{"the dashboard password", pdDashboardPass},
		pdSecret{"the metrics token", pdMetricsToken},
	)
	var cached struct {
		Token string `json:"token"`
	}
	raw, err := e.rdb.Get(context.Background(), advance.CacheKey(cfg.Providers.Advance.BaseURL, string(cfg.Providers.Advance.AccessKey))).Bytes()
	if err != nil || json.Unmarshal(raw, &cached) != nil || cached.Token == "" {
		t.Fatalf("read the shared ADVANCE.AI access token from Redis: %v", err)
	}
	out = append(out, pdSecret{"the ADVANCE.AI access token", cached.Token})
	keyPEM, err := os.ReadFile(cfg.Providers.Zoloz.MerchantPrivateKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		t.Fatal("the ZOLOZ merchant key file holds no PEM block")
	}
	der := base64.StdEncoding.EncodeToString(block.Bytes)
	for i := 0; i+24 <= len(der); i += 24 {
		out = append(out, pdSecret{"ZOLOZ private key material", der[i : i+24]})
	}
	return out
}

func deliveredContains(e *env, s string) bool {
	for _, d := range e.sb.Receiver.Accepted() {
		if strings.Contains(string(d.Body), s) {
			return true
		}
	}
	return false
}

func deliveredMatches(e *env, re *regexp.Regexp) bool {
	for _, d := range e.sb.Receiver.Accepted() {
		if re.Match(d.Body) {
			return true
		}
	}
	return false
}

// httpDo makes one request with an optional Authorization header and
// returns the status and body.
func httpDo(t *testing.T, method, url, authorization, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, string(b)
}
