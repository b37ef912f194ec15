package advancefake

import "time"

// Outcome is what a scripted verification ends as.
type Outcome string

// The outcomes a Script can end in.
const (
	OutcomePass       Outcome = "PASS"
	OutcomeFail       Outcome = "FAIL"
	OutcomeIncomplete Outcome = "INCOMPLETE"
	// OutcomeNotFound answers SIGNATURE_NOT_EXIST once ready.
	OutcomeNotFound Outcome = "NOT_FOUND"
	// OutcomePendingForever never becomes final.
	OutcomePendingForever Outcome = "PENDING_FOREVER"
)

// Script says how the fake answers Get Result calls for one signatureId.
type Script struct {
	// ReadyAfter is how long the result stays in processing, measured from
	// Register (or, for auto-scripted ids, from the id's first call).
	ReadyAfter time.Duration
	// Outcome is the final answer; empty means OutcomePass.
	Outcome Outcome
	// ErrorCode is data.errorCode for OutcomeFail (default LIVENESS_ATTACK)
	// and OutcomeIncomplete (default USER_TIMEOUT). OutcomePass always
	// answers SUCCESS.
	ErrorCode string
	// Faults are answered first, one per call, in order, before the normal
	// behaviour. Calls with an invalid token answer IAM_FAILED and consume
	// no fault.
	Faults []Fault
}

// FaultKind is one kind of misbehaviour.
type FaultKind string

// The faults the fake can inject.
const (
	// HTTP500 answers HTTP 500 with a plain-text body.
	HTTP500 FaultKind = "HTTP500"
	// CodeError answers HTTP 200 with code ERROR.
	CodeError FaultKind = "ERROR"
	// ServiceBusy answers code SERVICE_BUSY with a Retry-After header
	// (Fault.RetryAfter, default "10s").
	ServiceBusy FaultKind = "SERVICE_BUSY"
	// HTTP429 answers HTTP 429, with Retry-After when Fault.RetryAfter is
	// set.
	HTTP429 FaultKind = "HTTP429"
	// IAMFailed answers code IAM_FAILED although the token is valid.
	IAMFailed FaultKind = "IAM_FAILED"
	// Timeout answers nothing until the client gives up (or the server
	// closes, or a minute passes).
	Timeout FaultKind = "TIMEOUT"
	// Garbage answers a truncated JSON body (it still contains personal
	// data up to the cut).
	Garbage FaultKind = "GARBAGE"
	// HTML answers an HTML error page, HTTP 200 with text/html, as some
	// gateways and firewalls do.
	HTML FaultKind = "HTML"
	// WrongContentType answers a processing (not final) JSON body sent as
	// text/plain, as a misconfigured proxy might.
	WrongContentType FaultKind = "WRONG_CONTENT_TYPE"
)

// Fault is one injected misbehaviour.
type Fault struct {
	Kind FaultKind
	// RetryAfter is the Retry-After header value for ServiceBusy and
	// HTTP429, e.g. "10s", "10" or an HTTP date.
	RetryAfter string
}
