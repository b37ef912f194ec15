package zoloz

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/kycpoller/kycpoller/internal/fake/zolozfake"
	"github.com/kycpoller/kycpoller/internal/verification"
)

const testClientID = "2188000123456789"

// env is one test's world: a provider (fake or raw) and the logs of every
// client made from it.
type env struct {
	t       *testing.T
	fake    *zolozfake.Server
	baseURL string
	logs    *observer.ObservedLogs
	core    zapcore.Core
	sigs    *sigRecorder
}

func newEnv(t *testing.T) *env {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	e := &env{t: t, logs: logs, core: core, sigs: &sigRecorder{}}
	t.Cleanup(e.checkLogs)
	return e
}

// withFake points the env at a new fake gateway that knows our keys.
func (e *env) withFake(opts zolozfake.Options) *env {
	e.t.Helper()
	opts.ClientID = testClientID
	opts.MerchantPublicKey = &merchantKey.PublicKey
	opts.ZolozPrivateKey = zolozKey
	e.fake = zolozfake.Start(e.t, opts)
	e.baseURL = e.fake.URL()
	return e
}

// withRaw points the env at a server whose checkresult answers come from h.
func (e *env) withRaw(h http.HandlerFunc) *env {
	e.t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+CheckResultPath, func(w http.ResponseWriter, r *http.Request) {
		e.sigs.add(r.Header.Get(HeaderSignature))
		h(w, r)
	})
	srv := httptest.NewServer(mux)
	e.t.Cleanup(srv.Close)
	e.baseURL = srv.URL
	return e
}

// client makes a client for the env; mod adjusts its options.
func (e *env) client(mod ...func(*Options)) *Client {
	e.t.Helper()
	o := Options{
		BaseURL:                 e.baseURL,
		ClientID:                testClientID,
		MerchantPrivateKey:      merchantKey,
		ZolozPublicKey:          &zolozKey.PublicKey,
		VerifyResponseSignature: true,
		Timeout:                 5 * time.Second,
		Logger:                  zap.New(e.core),
	}
	for _, m := range mod {
		m(&o)
	}
	c, err := New(o)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	return c
}

// sigRecorder keeps the request signatures a raw server saw.
type sigRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *sigRecorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, s)
}

func (r *sigRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

// keyMaterial returns recognisable pieces of the keys: a run of base64 from
// the middle of each DER encoding (the start is the same for every key).
func keyMaterial() []string {
	var out []string
	der, _ := x509.MarshalPKCS8PrivateKey(merchantKey)
	b := base64.StdEncoding.EncodeToString(der)
	out = append(out, b[400:440], b[len(b)/2:len(b)/2+40])
	der, _ = x509.MarshalPKIXPublicKey(&zolozKey.PublicKey)
	b = base64.StdEncoding.EncodeToString(der)
	out = append(out, b[100:140])
	return out
}

// forbidden lists what must never appear in an error or a log line.
func (e *env) forbidden() []string {
	out := append(zolozfake.PersonalData(), keyMaterial()...)
	out = append(out, rawPersonal...)
	for _, s := range e.sigs.all() {
		if _, v, ok := strings.Cut(s, "signature="); ok && len(v) > 40 {
			out = append(out, v[10:40])
		}
	}
	return out
}

// noLeak fails the test if s holds personal data, a key or a signature.
func (e *env) noLeak(what, s string) {
	e.t.Helper()
	for _, f := range e.forbidden() {
		if f != "" && strings.Contains(s, f) {
			e.t.Errorf("%s leaks %q: %s", what, f, s)
		}
	}
}

// checkErr checks that err's text leaks nothing.
func (e *env) checkErr(err error) {
	e.t.Helper()
	if err != nil {
		e.noLeak("error", err.Error())
	}
}

// checkLogs runs at the end of every test: no log line may leak.
func (e *env) checkLogs() {
	for _, entry := range e.logs.All() {
		line := entry.Message
		for k, v := range entry.ContextMap() {
			line += fmt.Sprintf(" %s=%v", k, v)
		}
		e.noLeak("log line", line)
	}
}

// logged reports whether an entry at level has field key with value val.
func (e *env) logged(level zapcore.Level, msg, key, val string) bool {
	for _, entry := range e.logs.All() {
		if entry.Level == level && (msg == "" || entry.Message == msg) && fmt.Sprint(entry.ContextMap()[key]) == val {
			return true
		}
	}
	return false
}

// rawPersonal is personal data that raw-server tests put in bodies and
// messages.
var rawPersonal = []string{"RAW PERSON YANKEE", "R7654321", "raw-message-secret"}

const (
	rawName    = "RAW PERSON YANKEE"
	rawMessage = "raw-message-secret"
)

func ref(id string) verification.Ref {
	return verification.Ref{Provider: verification.ProviderZoloz, ID: id, BizID: "biz-" + id}
}

func check(t *testing.T, e *env, c *Client, id string) (verification.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Check(ctx, ref(id))
	e.checkErr(err)
	return res, err
}

// transient returns err's TransientError or fails the test.
func transient(t *testing.T, err error) *verification.TransientError {
	t.Helper()
	var te *verification.TransientError
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T), want a TransientError", err, err)
	}
	return te
}

func configErr(t *testing.T, err error) *verification.ConfigError {
	t.Helper()
	var ce *verification.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a ConfigError", err, err)
	}
	return ce
}

// signedAnswer serves body with HTTP 200 and a valid ZOLOZ signature;
// header adds or overrides headers (name, value pairs).
func signedAnswer(body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeSigned(w, zolozKey, body, header...)
	}
}

// writeSigned writes body signed with key as the gateway signs answers.
func writeSigned(w http.ResponseWriter, key *rsa.PrivateKey, body string, header ...string) {
	respTime := time.Now().Format(TimeLayout)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set(HeaderResponseTime, respTime)
	if key != nil {
		sig, err := SignRequest(key, CheckResultPath, testClientID, respTime, []byte(body))
		if err != nil {
			panic(err)
		}
		w.Header().Set(HeaderSignature, signatureHeader(sig))
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			w.Header().Del(header[i])
		} else {
			w.Header().Set(header[i], header[i+1])
		}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
}

// rawAnswer serves a fixed, unsigned answer.
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
