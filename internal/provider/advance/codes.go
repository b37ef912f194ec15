package advance

import "strings"

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

// maxCodeLen bounds a provider code we are willing to repeat in errors and
// logs.
const maxCodeLen = 64

// normalizeCode returns code in upper case when it looks like a provider code
// (letters, digits, '_', '-', '.'), and "" otherwise, so that errors and logs
// never repeat arbitrary text from a response.
func normalizeCode(code string) string {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > maxCodeLen {
		return ""
	}
	for _, r := range code {
		ok := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.'
		if !ok {
			return ""
		}
	}
	return strings.ToUpper(code)
}
