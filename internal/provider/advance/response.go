package advance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kycpoller/kycpoller/internal/provider/providerhttp"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// envelope is the part of every ADVANCE.AI answer this client reads:
// {code, message, data, extra, transactionId, pricingStrategy}. The message
// is deliberately not decoded: it is never branched on nor repeated.
type envelope struct {
	Code string
	Data json.RawMessage
}

// parseEnvelope decodes a response body. Its errors never quote the body:
// encoding/json's syntax errors would.
func parseEnvelope(body []byte) (envelope, error) {
	var raw struct {
		Code json.RawMessage `json:"code"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return envelope{}, &verification.TransientError{Code: "invalid_json", Err: fmt.Errorf("response is not valid JSON (error at byte %d of %d)", se.Offset, len(body))}
		}
		if len(bytes.TrimSpace(body)) == 0 {
			return envelope{}, &verification.TransientError{Code: "invalid_json", Err: errors.New("response body is empty")}
		}
		return envelope{}, &verification.TransientError{Code: "invalid_envelope", Err: errors.New("response is not a JSON object")}
	}
	var code string
	if providerhttp.IsNull(raw.Code) || json.Unmarshal(raw.Code, &code) != nil {
		return envelope{}, &verification.TransientError{Code: "invalid_envelope", Err: errors.New("response has no string code")}
	}
	norm := normalizeCode(code)
	if norm == "" {
		return envelope{}, &verification.TransientError{Code: "invalid_envelope", Err: errors.New("response code is not a provider code")}
	}
	return envelope{Code: norm, Data: raw.Data}, nil
}

// resultFields are the members of a Get Result data object that decide
// finality. encoding/json matches keys case-insensitively.
type resultFields struct {
	OverallResult json.RawMessage `json:"overallResult"`
	OverResult    json.RawMessage `json:"overResult"` // in one of the provider's own examples
	IDVResult     json.RawMessage `json:"idvResult"`  // deprecated by the provider
	ErrorCode     json.RawMessage `json:"errorCode"`
}

// parseResult reads the data object of a SUCCESS answer. The overall result
// is the first non-null of overallResult, overResult and idvResult; null
// everywhere means still processing. Data keeps the object's bytes exactly as
// received.
func parseResult(data json.RawMessage) (verification.Result, error) {
	if !providerhttp.IsObject(data) {
		return verification.Result{}, &verification.TransientError{Code: "invalid_data", Err: errors.New("SUCCESS answer without a data object")}
	}
	var f resultFields
	if err := json.Unmarshal(data, &f); err != nil {
		// A member has a type a RawMessage cannot hold: impossible for
		// valid JSON, but never echo the error.
		return verification.Result{}, &verification.TransientError{Code: "invalid_data", Err: errors.New("data object cannot be decoded")}
	}
	var overall json.RawMessage
	for _, v := range []json.RawMessage{f.OverallResult, f.OverResult, f.IDVResult} {
		if !providerhttp.IsNull(v) {
			overall = v
			break
		}
	}
	if overall == nil {
		return verification.Result{Final: false}, nil
	}
	var value string
	if err := json.Unmarshal(overall, &value); err != nil {
		return verification.Result{}, &verification.TransientError{Code: codeUnknownResult, Err: errors.New("overall result is not a string")}
	}
	status, ok := finalStatus(value)
	if !ok {
		return verification.Result{}, &verification.TransientError{Code: codeUnknownResult, Err: errors.New("overall result is not PASS, FAIL, INCOMPLETE or null")}
	}
	var errorCode string
	if !providerhttp.IsNull(f.ErrorCode) {
		_ = json.Unmarshal(f.ErrorCode, &errorCode) // not a string: leave ""
	}
	return verification.Result{
		Final:          true,
		Status:         status,
		ProviderStatus: value,
		ErrorCode:      errorCode,
		Data:           data,
	}, nil
}

func finalStatus(v string) (verification.Status, bool) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "PASS":
		return verification.StatusPass, true
	case "FAIL":
		return verification.StatusFail, true
	case "INCOMPLETE":
		return verification.StatusIncomplete, true
	}
	return "", false
}
