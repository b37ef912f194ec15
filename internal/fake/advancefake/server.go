// Package advancefake is a fake ADVANCE.AI server for tests and the demo: a
// real HTTP server speaking the Token Authentication and Get Result APIs,
// with scripted outcomes, injected faults and call counters.
//
// It checks token requests the way the provider documents them (access key,
// SHA-256 signature, timestamp within 300 s, periodSecond between 60 and
// 86400), issues random tokens that expire, and answers Get Result with
// IAM_FAILED for unknown or expired tokens. Result bodies are shaped like the
// provider's examples and carry the fake personal data of PersonalData.
package advancefake

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/fakehttp"
)

// API paths, as the provider serves them.
const (
	TokenPath     = "/openapi/auth/ticket/v1/generate-token"
	GetResultPath = "/intl/openapi/identity-risk/idvs-h5/ekyc/v1/get-result"
)

// Defaults for Options.
const (
	DefaultAccessKey = "fake-access-key"
	DefaultSecretKey = "fake-secret-key"
	DefaultTokenTTL  = time.Hour
)

// maxTimestampSkew is how far a token request's timestamp may be from now.
const maxTimestampSkew = 300 * time.Second

// maxStall bounds a Timeout fault, in case a client never gives up.
const maxStall = time.Minute

// Options configures a Server. The zero value works.
type Options struct {
	// AccessKey and SecretKey are the credentials the fake accepts
	// (defaults DefaultAccessKey and DefaultSecretKey).
	AccessKey string
	SecretKey string
	// TokenTTL caps the lifetime of issued tokens (default 1h); a smaller
	// periodSecond in the request wins.
	TokenTTL time.Duration
	// AutoScript makes ids like pass-3s-001 script themselves (see
	// ParseAutoScript). Other unknown ids answer SIGNATURE_NOT_EXIST.
	AutoScript bool
	// Latency delays every answer.
	Latency time.Duration
	// Now is the fake's clock (default time.Now); it drives ReadyAfter,
	// token expiry and the timestamp check.
	Now func() time.Time
	// RandomFaults answer authenticated Get Result calls at random (see
	// RandomFault), after an id's scripted faults and outside a Throttle.
	RandomFaults []RandomFault
	// Seed seeds the random source of RandomFaults.
	Seed uint64
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	*fakehttp.Serving
	opts Options

	mu            sync.Mutex
	ids           map[string]*idState
	tokens        map[string]time.Time // token -> expiry
	totalCalls    int
	tokenRequests int
	inject        *faults
}

// idState is what the fake knows about one signatureId.
type idState struct {
	script     *Script // nil: unknown id
	start      time.Time
	faults     []Fault
	calls      int
	afterFinal int
	final      bool      // a final answer has been given
	finalAt    time.Time // when the first final answer was given
}

// New returns a Server that is not listening yet: use Handler, Serve or
// Start.
func New(opts Options) *Server {
	if opts.AccessKey == "" {
		opts.AccessKey = DefaultAccessKey
	}
	if opts.SecretKey == "" {
		opts.SecretKey = DefaultSecretKey
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:   opts,
		ids:    make(map[string]*idState),
		tokens: make(map[string]time.Time),
		inject: newFaults(opts.RandomFaults, opts.Seed),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, s.handleToken)
	mux.HandleFunc("POST "+GetResultPath, s.handleGetResult)
	s.Serving = fakehttp.New("advancefake", mux)
	return s
}

// Register scripts id; its ReadyAfter counts from now. Registering an id
// again replaces its script and keeps its counters.
func (s *Server) Register(id string, sc Script) {
	sc.Faults = append([]Fault(nil), sc.Faults...)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.ids[id]
	if st == nil {
		st = &idState{}
		s.ids[id] = st
	}
	st.script, st.start, st.faults, st.final = &sc, s.opts.Now(), sc.Faults, false
}

// Calls is the number of Get Result calls naming id, whatever the answer.
func (s *Server) Calls(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.ids[id]; st != nil {
		return st.calls
	}
	return 0
}

// CallsAfterFinal is the number of Get Result calls for id that arrived after
// the fake had already answered it with a final result (PASS, FAIL,
// INCOMPLETE or SIGNATURE_NOT_EXIST).
func (s *Server) CallsAfterFinal(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.ids[id]; st != nil {
		return st.afterFinal
	}
	return 0
}

// FinalAt is when the fake first answered id with a final result, and
// whether it has.
func (s *Server) FinalAt(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.ids[id]; st != nil && st.final {
		return st.finalAt, true
	}
	return time.Time{}, false
}

// TotalCalls is the number of Get Result calls.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totalCalls
}

// TokenRequests is the number of tokens issued.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// InvalidateTokens revokes every token issued so far: Get Result answers
// IAM_FAILED until a new token is fetched.
func (s *Server) InvalidateTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// tokenRequest accepts the timestamp and periodSecond as JSON numbers or
// strings of digits.
type tokenRequest struct {
	AccessKey    string          `json:"accessKey"`
	Timestamp    json.RawMessage `json:"timestamp"`
	Signature    string          `json:"signature"`
	PeriodSecond json.RawMessage `json:"periodSecond"`
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if !s.sleep(r.Context(), s.opts.Latency) {
		return
	}
	var req tokenRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeJSON(w, envelope("PARAMETER_ERROR", "Parameter should not be empty", "null"))
		return
	}
	ts, tsOK := digits(req.Timestamp)
	if req.AccessKey == "" || req.Signature == "" || !tsOK {
		writeJSON(w, envelope("PARAMETER_ERROR", "Parameter should not be empty", "null"))
		return
	}
	now := s.opts.Now()
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) != 13 || absDuration(now.Sub(time.UnixMilli(ms))) > maxTimestampSkew {
		writeJSON(w, envelope("PARAMETER_ERROR", "Timestamp error", "null"))
		return
	}
	sum := sha256.Sum256([]byte(s.opts.AccessKey + s.opts.SecretKey + ts))
	if req.AccessKey != s.opts.AccessKey || req.Signature != hex.EncodeToString(sum[:]) {
		writeJSON(w, envelope("PARAMETER_ERROR", "Signature error", "null"))
		return
	}
	ttl := s.opts.TokenTTL
	if len(req.PeriodSecond) > 0 && string(req.PeriodSecond) != "null" {
		p, ok := digits(req.PeriodSecond)
		n, err := strconv.ParseInt(p, 10, 64)
		if !ok || err != nil || n < 60 || n > 86400 {
			writeJSON(w, envelope("PARAMETER_ERROR", "periodSecond should be between 60 and 86400", "null"))
			return
		}
		ttl = min(ttl, time.Duration(n)*time.Second)
	}

	token := "fake." + randomHex(24)
	expires := now.Add(ttl)
	s.mu.Lock()
	for t, exp := range s.tokens {
		if !now.Before(exp) {
			delete(s.tokens, t)
		}
	}
	s.tokens[token] = expires
	s.tokenRequests++
	s.mu.Unlock()

	data := `{"token":` + quote(token) + `,"expiredTime":` + strconv.FormatInt(expires.UnixMilli(), 10) + `}`
	writeJSON(w, envelope("SUCCESS", "OK", data))
}

// getResultRequest is the Get Result request body.
type getResultRequest struct {
	SignatureID     string `json:"signatureId"`
	ReturnImageType string `json:"returnImageType"`
}

// answer is what the fake decided under its lock, written after it.
type answer struct {
	fault   *Fault
	pending bool
	final   Outcome // "" when pending or a fault
	errCode string
	start   time.Time
}

func (s *Server) handleGetResult(w http.ResponseWriter, r *http.Request) {
	if !s.sleep(r.Context(), s.opts.Latency) {
		return
	}
	var req getResultRequest
	decodeErr := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req)
	now := s.opts.Now()

	s.mu.Lock()
	s.totalCalls++
	var st *idState
	if decodeErr == nil && req.SignatureID != "" {
		st = s.state(req.SignatureID, now)
		st.calls++
		if st.final {
			st.afterFinal++
		}
	}
	exp, known := s.tokens[r.Header.Get("X-ACCESS-TOKEN")]
	tokenOK := known && now.Before(exp)
	var a answer
	if tokenOK && st != nil {
		a = s.decide(st, now)
	}
	s.mu.Unlock()

	switch {
	case !tokenOK:
		writeJSON(w, envelope("IAM_FAILED", MessageTokenInvalid, "null"))
	case st == nil:
		writeJSON(w, envelope("PARAMETER_ERROR", "Parameter should not be empty", "null"))
	case a.fault != nil:
		s.writeFault(w, r, *a.fault, req.SignatureID, now)
	case a.pending:
		writeJSON(w, pendingBody(req.SignatureID, req.ReturnImageType == "BASE64", a.start.UnixMilli()))
	case a.final == OutcomeNotFound:
		writeJSON(w, envelope("SIGNATURE_NOT_EXIST", MessageNotExist, "null"))
	default:
		writeJSON(w, resultBody(req.SignatureID, a.final, a.errCode, req.ReturnImageType == "BASE64", a.start.UnixMilli()))
	}
}

// state returns id's state, creating it (auto-scripted when enabled) on its
// first call. Called with s.mu held.
func (s *Server) state(id string, now time.Time) *idState {
	st := s.ids[id]
	if st == nil {
		st = &idState{start: now}
		if s.opts.AutoScript {
			if sc, ok := ParseAutoScript(id); ok {
				st.script = &sc
			}
		}
		s.ids[id] = st
	}
	return st
}

// decide picks the answer for one authenticated call. Called with s.mu held.
func (s *Server) decide(st *idState, now time.Time) answer {
	a := answer{start: st.start}
	if len(st.faults) > 0 {
		f := st.faults[0]
		st.faults = st.faults[1:]
		s.inject.Count(f)
		a.fault = &f
		return a
	}
	if f, ok := s.inject.Pick(now); ok {
		a.fault = &f
		return a
	}
	if st.script == nil {
		st.markFinal(now)
		a.final = OutcomeNotFound
		return a
	}
	sc := st.script
	if sc.Outcome == OutcomePendingForever || now.Before(st.start.Add(sc.ReadyAfter)) {
		a.pending = true
		return a
	}
	st.markFinal(now)
	a.final = sc.Outcome
	if a.final == "" {
		a.final = OutcomePass
	}
	switch a.final {
	case OutcomePass:
		a.errCode = "SUCCESS"
	case OutcomeFail:
		a.errCode = cmp.Or(sc.ErrorCode, "LIVENESS_ATTACK")
	case OutcomeIncomplete:
		a.errCode = cmp.Or(sc.ErrorCode, "USER_TIMEOUT")
	}
	return a
}

func (s *Server) writeFault(w http.ResponseWriter, r *http.Request, f Fault, id string, now time.Time) {
	switch f.Kind {
	case HTTP500:
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
	case CodeError:
		writeJSON(w, envelope("ERROR", MessageServerError, "null"))
	case ServiceBusy:
		w.Header().Set("Retry-After", cmp.Or(f.RetryAfter, "10s"))
		writeJSON(w, envelope("SERVICE_BUSY", MessageBusy, "null"))
	case HTTP429:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
	case IAMFailed:
		writeJSON(w, envelope("IAM_FAILED", MessageTokenInvalid, "null"))
	case Timeout:
		s.sleep(r.Context(), maxStall)
	case Garbage:
		writeJSON(w, garbageBody(id, now.UnixMilli()))
	case HTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(htmlBody))
	case WrongContentType:
		body := pendingBody(id, false, now.UnixMilli())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	default:
		http.Error(w, "advancefake: unknown fault kind "+string(f.Kind), http.StatusInternalServerError)
	}
}

// markFinal records a final answer given at now.
func (st *idState) markFinal(now time.Time) {
	if !st.final {
		st.final, st.finalAt = true, now
	}
}

// sleep waits d, or less if the request ends or the server closes; it
// reports whether the whole d passed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.Closing():
	}
	return false
}

func writeJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// digits returns a JSON number or string as its digits, if it is one.
func digits(v json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return "", false
		}
		s = n.String()
	}
	if s == "" {
		return "", false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return s, true
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
