package zoloz

import "github.com/kycpoller/kycpoller/internal/provider/providerhttp"

// Provider result codes (result.resultCode) this client acts on.
const (
	codeSuccess                   = "SUCCESS"
	codeSystemError               = "SYSTEM_ERROR"
	codeProcessTimeout            = "PROCESS_TIMEOUT"
	codeRequestTrafficExceedLimit = "REQUEST_TRAFFIC_EXCEED_LIMIT"
	codeInvalidArgument           = "INVALID_ARGUMENT"
	codeParamMissing              = "PARAM_MISSING"
	codeParamIllegal              = "PARAM_ILLEGAL"
	codeMsgParseError             = "MSG_PARSE_ERROR"
	codeSignatureInvalid          = "SIGNATURE_INVALID"
	codeKeyNotFound               = "KEY_NOT_FOUND"
	codeMerchantNotFound          = "MERCHANT_NOT_FOUND"
	codeAccessDenied              = "ACCESS_DENIED"
	codeOAuthFail                 = "OAUTH_FAIL"
	codeProductQuotaLimit         = "PRODUCT_QUOTA_LIMIT"
)

// Codes of our own, for TransientError and ConfigError when the provider gave
// none.
const (
	// CodeResponseSignature marks an answer whose signature did not verify.
	// Not to be confused with the provider's SIGNATURE_INVALID, which says
	// that the provider rejected our request's signature.
	CodeResponseSignature = "signature_invalid"
	// CodeUnknownResult marks a SUCCESS answer whose ekycResult is missing
	// or not one this client knows.
	CodeUnknownResult = "UNKNOWN_RESULT"
	// codeStatusUnknown is a resultStatus U answer without a usable code.
	codeStatusUnknown = "status_unknown"
)

// Result statuses (result.resultStatus).
const (
	statusSuccess = "S"
	statusFailed  = "F"
	statusUnknown = "U"
)

// class is what a provider code means for a poller.
type class int

const (
	classUnknown   class = iota // not documented: retry, and log it
	classSuccess                // read ekycResult
	classNotFound               // final: the reference is wrong
	classTransient              // provider trouble: retry with backoff
	classThrottled              // rate limited: slow down
	classConfig                 // our set-up is wrong: alert, retry slowly
)

var classes = map[string]class{
	codeSuccess:                   classSuccess,
	codeSystemError:               classTransient,
	codeProcessTimeout:            classTransient,
	codeRequestTrafficExceedLimit: classThrottled,
	codeInvalidArgument:           classNotFound,
	codeParamMissing:              classNotFound,
	codeParamIllegal:              classNotFound,
	codeMsgParseError:             classNotFound,
	codeSignatureInvalid:          classConfig,
	codeKeyNotFound:               classConfig,
	codeMerchantNotFound:          classConfig,
	codeAccessDenied:              classConfig,
	codeOAuthFail:                 classConfig,
	codeProductQuotaLimit:         classConfig,
}

// classify maps a normalised result code to its class.
func classify(code string) class { return classes[code] }

// maxCodeLen bounds a provider code we are willing to repeat in errors and
// logs.
const maxCodeLen = providerhttp.MaxCodeLen

// normalizeCode returns code in upper case when it looks like a provider code,
// and "" otherwise (see providerhttp.NormalizeCode).
func normalizeCode(code string) string { return providerhttp.NormalizeCode(code) }
