// Package zolozfake is a fake ZOLOZ gateway for tests and the demo: a real
// HTTP server speaking the Real ID checkresult API, with the gateway's
// request and response signatures, scripted outcomes, injected faults and
// call counters.
//
// Like the gateway, it checks every request's Client-Id and signature (with
// Options.MerchantPublicKey) and signs every answer (with
// Options.ZolozPrivateKey). Request fields are read by their exact names.
// Answers are shaped like the API reference's sample and carry the fake
// personal data of PersonalData.
package zolozfake

import (
	"cmp"
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/fakehttp"
)

// CheckResultPath is the Real ID checkresult API, as the gateway serves it.
const CheckResultPath = "/api/v1/zoloz/realid/checkresult"

// DefaultClientID is the Client-Id the fake accepts unless Options says
// otherwise.
const DefaultClientID = "fake-client-id"

// maxStall bounds a Timeout fault, in case a client never gives up.
const maxStall = time.Minute

// Request limits the API documents.
const (
	maxBizIDLen         = 32
	maxTransactionIDLen = 64
)

// Options configures a Server. The zero value works, without signatures.
type Options struct {
	// ClientID is the only Client-Id accepted (default DefaultClientID);
	// others answer F MERCHANT_NOT_FOUND. Answers are signed for it.
	ClientID string
	// MerchantPublicKey verifies request signatures; a request that fails
	// answers F SIGNATURE_INVALID. Nil accepts any request signature.
	MerchantPublicKey *rsa.PublicKey
	// ZolozPrivateKey signs answers. Nil leaves answers unsigned.
	ZolozPrivateKey *rsa.PrivateKey
	// AutoScript makes ids like success-3s-001 script themselves (see
	// ParseAutoScript). Other unknown ids answer F INVALID_ARGUMENT.
	AutoScript bool
	// Latency delays every answer.
	Latency time.Duration
	// IncludeImages adds base64 images of realistic size (about 200 KB
	// each) to answers whose request says isReturnImage Y.
	IncludeImages bool
	// Now is the fake's clock (default time.Now); it drives ReadyAfter and
	// Response-Time.
	Now func() time.Time
	// RandomFaults answer accepted checkresult calls at random (see
	// RandomFault), after an id's scripted faults and outside a Throttle.
	RandomFaults []RandomFault
	// Seed seeds the random source of RandomFaults.
	Seed uint64
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	*fakehttp.Serving
	opts  Options
	image func() string // made on first use: it costs a little

	mu         sync.Mutex
	ids        map[string]*idState
	totalCalls int
	badSigs    int
	inject     *faults
}

// idState is what the fake knows about one transactionId.
type idState struct {
	script     *Script // nil: unknown id
	start      time.Time
	faults     []Fault
	calls      int
	afterFinal int
	final      bool      // a final answer has been given
	finalAt    time.Time // when the first final answer was given
}

// New returns a Server that is not listening yet: use Handler, Serve, Listen
// or Start.
func New(opts Options) *Server {
	opts.ClientID = cmp.Or(opts.ClientID, DefaultClientID)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:   opts,
		image:  sync.OnceValue(fakeImage),
		ids:    make(map[string]*idState),
		inject: newFaults(opts.RandomFaults, opts.Seed),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+CheckResultPath, s.handleCheckResult)
	s.Serving = fakehttp.New("zolozfake", mux)
	return s
}

// Register scripts transactionID; its ReadyAfter counts from now.
// Registering an id again replaces its script and keeps its counters.
func (s *Server) Register(transactionID string, sc Script) {
	sc.Faults = append([]Fault(nil), sc.Faults...)
	for _, f := range sc.Faults {
		if f.Kind == BadSignature {
			// Make the wrong key now rather than while a client waits.
			_, _ = wrongKey()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.ids[transactionID]
	if st == nil {
		st = &idState{}
		s.ids[transactionID] = st
	}
	st.script, st.start, st.faults, st.final = &sc, s.opts.Now(), sc.Faults, false
}

// Calls is the number of checkresult calls naming transactionID, whatever
// the answer.
func (s *Server) Calls(transactionID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.ids[transactionID]; st != nil {
		return st.calls
	}
	return 0
}

// CallsAfterFinal is the number of calls for transactionID that arrived
// after the fake had already given it a final answer: a final ekycResult
// (correctly signed) or an error code that ends polling (INVALID_ARGUMENT,
// PARAM_MISSING, PARAM_ILLEGAL, MSG_PARSE_ERROR).
func (s *Server) CallsAfterFinal(transactionID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.ids[transactionID]; st != nil {
		return st.afterFinal
	}
	return 0
}

// FinalAt is when the fake first gave transactionID a final answer (see
// CallsAfterFinal), and whether it has.
func (s *Server) FinalAt(transactionID string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.ids[transactionID]; st != nil && st.final {
		return st.finalAt, true
	}
	return time.Time{}, false
}

// TotalCalls is the number of checkresult calls.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totalCalls
}

// BadRequestSignatures is the number of calls answered SIGNATURE_INVALID
// because their signature did not verify.
func (s *Server) BadRequestSignatures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.badSigs
}

// request is a checkresult request body, read by exact field names.
type request struct {
	BizID         string
	TransactionID string
	ReturnImage   bool
	Extra         []string
	FiveCategory  bool
}

// parseRequest decodes a request body. It returns the error code to answer,
// or "", and as much of the request as it could read.
func parseRequest(body []byte) (request, string) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return request{}, "MSG_PARSE_ERROR"
	}
	str := func(key string) (string, bool) {
		v, ok := m[key]
		if !ok || string(v) == "null" {
			return "", true
		}
		var s string
		return s, json.Unmarshal(v, &s) == nil
	}
	var req request
	tx, ok1 := str("transactionId")
	biz, ok2 := str("bizId")
	img, ok3 := str("isReturnImage")
	five, ok4 := str("returnFiveCategorySpoofResult")
	req.TransactionID, req.BizID = tx, biz
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return req, "PARAM_ILLEGAL"
	}
	if v, ok := m["extraImageControlList"]; ok && json.Unmarshal(v, &req.Extra) != nil {
		return req, "PARAM_ILLEGAL"
	}
	switch {
	case tx == "" || biz == "":
		return req, "PARAM_MISSING"
	case len(tx) > maxTransactionIDLen || len(biz) > maxBizIDLen:
		return req, "PARAM_ILLEGAL"
	case img != "" && img != "Y" && img != "N", five != "" && five != "Y" && five != "N":
		return req, "PARAM_ILLEGAL"
	}
	req.ReturnImage, req.FiveCategory = img == "Y", five == "Y"
	return req, ""
}

// answer is what the fake decided under its lock, written after it.
type answer struct {
	fault      FaultKind // "" for none
	retryAfter string
	// An error answer when code is set, else a SUCCESS answer with ekyc.
	status, code, message string
	ekyc                  string
}

// finalCodes end polling for the client.
var finalCodes = map[string]bool{
	"INVALID_ARGUMENT": true,
	"PARAM_MISSING":    true,
	"PARAM_ILLEGAL":    true,
	"MSG_PARSE_ERROR":  true,
}

// final reports whether the client may take a as a final answer.
func (a answer) final() bool {
	switch {
	case a.fault != "":
		return false
	case a.code != "":
		return finalCodes[a.code]
	}
	return Outcome(a.ekyc).final()
}

func failed(code, message string) answer {
	return answer{status: "F", code: code, message: message}
}

func (s *Server) handleCheckResult(w http.ResponseWriter, r *http.Request) {
	if !s.sleep(r.Context(), s.opts.Latency) {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	req, reqCode := parseRequest(body)
	if err != nil {
		reqCode = "MSG_PARSE_ERROR"
	}
	rejected := s.checkCaller(r, body)
	now := s.opts.Now()

	s.mu.Lock()
	s.totalCalls++
	var st *idState
	if req.TransactionID != "" && len(req.TransactionID) <= maxTransactionIDLen {
		st = s.state(req.TransactionID, now)
		st.calls++
		if st.final {
			st.afterFinal++
		}
	}
	var a answer
	switch {
	case rejected != "":
		if rejected == "SIGNATURE_INVALID" {
			s.badSigs++
		}
		a = failed(rejected, "the request was not accepted")
	case reqCode != "":
		a = failed(reqCode, "the request body is not acceptable")
	default:
		a = s.decide(st, req, now)
	}
	if st != nil && a.final() && !st.final {
		st.final, st.finalAt = true, now
	}
	s.mu.Unlock()

	s.write(w, r, a, req, now)
}

// checkCaller checks the Client-Id and the request signature. It returns
// the error code to answer, or "".
func (s *Server) checkCaller(r *http.Request, body []byte) string {
	clientID := r.Header.Get("Client-Id")
	if clientID != s.opts.ClientID {
		return "MERCHANT_NOT_FOUND"
	}
	if s.opts.MerchantPublicKey == nil {
		return ""
	}
	t := r.Header.Get("Request-Time")
	if _, err := time.Parse(timeLayout, t); err != nil {
		return "SIGNATURE_INVALID"
	}
	if err := verify(s.opts.MerchantPublicKey, r.Header.Get("Signature"), signedContent(r.URL.Path, clientID, t, body)); err != nil {
		return "SIGNATURE_INVALID"
	}
	return ""
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

// decide picks the answer for one accepted call: the next fault, else what
// the script says. Called with s.mu held.
func (s *Server) decide(st *idState, req request, now time.Time) answer {
	var f Fault
	if len(st.faults) > 0 {
		f = st.faults[0]
		st.faults = st.faults[1:]
		s.inject.Count(f)
	} else if rf, ok := s.inject.Pick(now); ok {
		f = rf
	} else {
		return s.scripted(st, req, now)
	}
	switch f.Kind {
	case BadSignature, TamperedBody, Unsigned:
		a := s.scripted(st, req, now)
		a.fault = f.Kind
		return a
	}
	return answer{fault: f.Kind, retryAfter: f.RetryAfter}
}

// scripted is the answer the script gives at now. Called with s.mu held.
func (s *Server) scripted(st *idState, req request, now time.Time) answer {
	sc := st.script
	switch {
	case sc == nil:
		return failed("INVALID_ARGUMENT", "transactionId does not exist")
	case sc.BizID != "" && sc.BizID != req.BizID:
		return failed("PARAM_ILLEGAL", "bizId does not belong to this transaction")
	}
	if code := strings.ToUpper(strings.TrimSpace(sc.ResultCode)); code != "" && code != "SUCCESS" {
		return failed(code, "scripted error")
	}
	outcome := cmp.Or(sc.Outcome, OutcomeSuccess)
	switch {
	case !outcome.final():
		return answer{ekyc: string(outcome)}
	case now.Before(st.start.Add(sc.ReadyAfter)) && st.calls%2 == 1:
		return answer{ekyc: string(OutcomePendingForever)}
	case now.Before(st.start.Add(sc.ReadyAfter)):
		return answer{ekyc: string(OutcomeInProcessForever)}
	}
	return answer{ekyc: string(outcome)}
}

// signing says how an answer is signed.
type signing int

const (
	signed signing = iota
	signedWithWrongKey
	signedThenTampered
	unsigned
)

func (s *Server) write(w http.ResponseWriter, r *http.Request, a answer, req request, now time.Time) {
	switch a.fault {
	case HTTP500:
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	case HTTP429:
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
		return
	case Timeout:
		s.sleep(r.Context(), maxStall)
		return
	case HTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, htmlBody)
		return
	case StatusU:
		s.respond(w, errorBody("U", "SYSTEM_ERROR", "system busy, result unknown"), signed, now)
		return
	case TrafficLimit:
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		s.respond(w, errorBody("F", "REQUEST_TRAFFIC_EXCEED_LIMIT", "request traffic exceeds the limit"), signed, now)
		return
	case Garbage:
		s.respond(w, garbageBody(), signed, now)
		return
	case WrongContentType:
		s.respondAs(w, resultBody(string(OutcomeInProcessForever), bodyOptions{}), signed, now, "text/plain; charset=UTF-8")
		return
	}

	var body []byte
	if a.code != "" {
		body = errorBody(a.status, a.code, a.message)
	} else {
		o := bodyOptions{extra: req.Extra, fiveCat: req.FiveCategory}
		if req.ReturnImage && s.opts.IncludeImages {
			o.images = s.image()
		}
		body = resultBody(a.ekyc, o)
	}
	how := signed
	switch a.fault {
	case BadSignature:
		how = signedWithWrongKey
	case TamperedBody:
		how = signedThenTampered
	case Unsigned:
		how = unsigned
	case "":
	default:
		http.Error(w, "zolozfake: unknown fault kind "+string(a.fault), http.StatusInternalServerError)
		return
	}
	s.respond(w, body, how, now)
}

// respond writes a JSON answer with the gateway's headers, signed as how
// says (unsigned when the fake has no ZOLOZ key).
func (s *Server) respond(w http.ResponseWriter, body []byte, how signing, now time.Time) {
	s.respondAs(w, body, how, now, "application/json; charset=UTF-8")
}

// respondAs is respond with the given Content-Type.
func (s *Server) respondAs(w http.ResponseWriter, body []byte, how signing, now time.Time, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Client-Id", s.opts.ClientID)
	if key := s.opts.ZolozPrivateKey; key != nil && how != unsigned {
		t := now.Format(timeLayout)
		if how == signedWithWrongKey {
			var err error
			if key, err = wrongKey(); err != nil {
				http.Error(w, "zolozfake: "+err.Error(), http.StatusInternalServerError)
				return
			}
		}
		sig, err := sign(key, signedContent(CheckResultPath, s.opts.ClientID, t, body))
		if err != nil {
			http.Error(w, "zolozfake: "+err.Error(), http.StatusInternalServerError)
			return
		}
		h.Set("Response-Time", t)
		h.Set("Signature", sig)
		if how == signedThenTampered {
			body = tamper(body)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
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
