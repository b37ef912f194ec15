package advance

import "github.com/kycpoller/kycpoller/internal/provider/providerhttp"

// Provider codes (the envelope's "code" field) this client acts on.
const (
	codeSuccess             = "SUCCESS"
	codeSignatureNotExist   = "SIGNATURE_NOT_EXIST"
	codeIAMFailed           = "IAM_FAILED"
	codeError               = "ERROR"
	codeServiceBusy         = "SERVICE_BUSY"
	codeRetryLater          = "RETRY_LATER"
	codeParameterError      = "PARAMETER_ERROR"
	codeAccountDisabled     = "ACCOUNT_DISABLED"
	codeClientError         = "CLIENT_ERROR"
	codeInsufficientBalance = "INSUFFICIENT_BALANCE"
	codeOverQueryLimit      = "OVER_QUERY_LIMIT"
)

// codeUnknownResult marks a SUCCESS answer whose overall result is neither
// null nor one of PASS, FAIL and INCOMPLETE.
const codeUnknownResult = "UNKNOWN_RESULT"

// class is what a provider code means for a poller.
type class int

const (
	classUnknown       class = iota // not documented: retry, and log it
	classSuccess                    // read data
	classNotFound                   // final: the signatureId does not exist
	classTokenRejected              // the token is unknown or expired: refresh once
	classTransient                  // provider trouble: retry with backoff
	classThrottled                  // rate limited: retry after Retry-After
	classConfig                     // our set-up is wrong: alert, retry slowly
)

var classes = map[string]class{
	codeSuccess:             classSuccess,
	codeSignatureNotExist:   classNotFound,
	codeIAMFailed:           classTokenRejected,
	codeError:               classTransient,
	codeServiceBusy:         classThrottled,
	codeRetryLater:          classThrottled,
	codeParameterError:      classConfig,
	codeAccountDisabled:     classConfig,
	codeClientError:         classConfig,
	codeInsufficientBalance: classConfig,
	codeOverQueryLimit:      classConfig,
}

// classify maps a provider code (as returned by parseEnvelope, already
// upper-case) to its class.
func classify(code string) class {
	return classes[code]
}

// normalizeCode returns code in upper case when it looks like a provider code,
// and "" otherwise (see providerhttp.NormalizeCode).
func normalizeCode(code string) string { return providerhttp.NormalizeCode(code) }
