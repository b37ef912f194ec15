package zolozfake

import "time"

// Outcome is what a scripted verification ends as: the ekycResult the fake
// answers once the script is ready.
type Outcome string

// The outcomes a Script can end in.
const (
	OutcomeSuccess       Outcome = "Success"
	OutcomeFailure       Outcome = "Failure"
	OutcomeVoidCancelled Outcome = "VoidCancelled"
	OutcomeVoidTimeout   Outcome = "VoidTimeout"
	// OutcomePendingForever answers ekycResult Pending on every call.
	OutcomePendingForever Outcome = "Pending"
	// OutcomeInProcessForever answers ekycResult InProcess on every call.
	OutcomeInProcessForever Outcome = "InProcess"
)

// final reports whether o is a final ekycResult.
func (o Outcome) final() bool {
	return o != OutcomePendingForever && o != OutcomeInProcessForever
}

// Script says how the fake answers checkresult calls for one transactionId.
type Script struct {
	// BizID, when set, must match the request's bizId; a mismatch answers
	// F PARAM_ILLEGAL.
	BizID string
	// ReadyAfter is how long the verification stays in progress, measured
	// from Register (or, for auto-scripted ids, from the id's first call).
	// Until then ekycResult alternates: Pending on odd-numbered calls,
	// InProcess on even ones.
	ReadyAfter time.Duration
	// Outcome is the final ekycResult; empty means OutcomeSuccess.
	Outcome Outcome
	// ResultCode, when set, is answered on every call instead of a result:
	// F with that code (SUCCESS is ignored). resultStatus U is the StatusU
	// fault.
	ResultCode string
	// Faults are answered first, one per call, in order, before the normal
	// behaviour. Calls with a bad request signature answer
	// SIGNATURE_INVALID and consume no fault.
	Faults []Fault
}

// FaultKind is one kind of misbehaviour.
type FaultKind string

// The faults the fake can inject.
const (
	// HTTP500 answers HTTP 500 with a plain-text body.
	HTTP500 FaultKind = "HTTP500"
	// HTTP429 answers HTTP 429, with Retry-After when Fault.RetryAfter is
	// set.
	HTTP429 FaultKind = "HTTP429"
	// StatusU answers resultStatus U with resultCode SYSTEM_ERROR.
	StatusU FaultKind = "STATUS_U"
	// TrafficLimit answers F REQUEST_TRAFFIC_EXCEED_LIMIT, with Retry-After
	// when Fault.RetryAfter is set.
	TrafficLimit FaultKind = "TRAFFIC_LIMIT"
	// BadSignature answers what the call would normally get, signed with a
	// key that is not the ZOLOZ key.
	BadSignature FaultKind = "BAD_SIGNATURE"
	// TamperedBody answers what the call would normally get, correctly
	// signed, then with one byte of the body changed.
	TamperedBody FaultKind = "TAMPERED_BODY"
	// Unsigned answers what the call would normally get without the
	// Signature and Response-Time headers.
	Unsigned FaultKind = "UNSIGNED"
	// Timeout answers nothing until the client gives up (or the server
	// closes, or a minute passes).
	Timeout FaultKind = "TIMEOUT"
	// Garbage answers a correctly signed but truncated JSON body (it still
	// contains personal data up to the cut).
	Garbage FaultKind = "GARBAGE"
	// HTML answers an unsigned HTML error page, HTTP 200 with text/html, as
	// some gateways and firewalls do.
	HTML FaultKind = "HTML"
	// WrongContentType answers a correctly signed InProcess (not final)
	// body sent as text/plain, as a misconfigured proxy might.
	WrongContentType FaultKind = "WRONG_CONTENT_TYPE"
)

// Fault is one injected misbehaviour.
type Fault struct {
	Kind FaultKind
	// RetryAfter is the Retry-After header value for HTTP429 and
	// TrafficLimit, e.g. "10" or an HTTP date.
	RetryAfter string
}
