package zoloz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kycpoller/kycpoller/internal/provider/providerhttp"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// answer is a decoded gateway answer: the result envelope and what a poller
// needs besides it. resultMessage is deliberately not decoded: it is never
// branched on nor repeated.
type answer struct {
	status string          // result.resultStatus, upper case; "" when not a string
	code   string          // result.resultCode, normalised; "" when unusable
	ekyc   json.RawMessage // ekycResult as received; nil when absent
	// data is the top-level object without its result member: the other
	// members in their order, each byte for byte as received.
	data []byte
}

// parseAnswer decodes a response body. Its errors never quote the body:
// encoding/json's syntax errors would.
func parseAnswer(body []byte) (answer, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return answer{}, syntaxError(body, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return answer{}, &verification.TransientError{Code: "invalid_envelope", Err: errors.New("response is not a JSON object")}
	}

	var result, ekyc json.RawMessage
	var haveResult bool
	var members [][]byte
	for dec.More() {
		start := dec.InputOffset()
		kt, err := dec.Token()
		if err != nil {
			return answer{}, syntaxError(body, err)
		}
		key, _ := kt.(string) // inside an object, always a string
		// encoding/json would match these keys case-insensitively too.
		isResult, isEkyc := strings.EqualFold(key, "result"), strings.EqualFold(key, "ekycResult")
		var v json.RawMessage
		var target any = &skipValue{}
		if isResult || isEkyc {
			target = &v
		}
		if err := dec.Decode(target); err != nil {
			return answer{}, syntaxError(body, err)
		}
		switch {
		case isResult:
			result, haveResult = v, true
			continue
		case isEkyc:
			ekyc = v
		}
		members = append(members, trimMember(body[start:dec.InputOffset()]))
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return answer{}, syntaxError(body, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return answer{}, &verification.TransientError{Code: "invalid_json", Err: errors.New("data after the JSON object")}
	}

	if !haveResult || !providerhttp.IsObject(result) {
		return answer{}, &verification.TransientError{Code: "invalid_envelope", Err: errors.New("response has no result object")}
	}
	var env struct {
		ResultStatus json.RawMessage `json:"resultStatus"`
		ResultCode   json.RawMessage `json:"resultCode"`
	}
	if err := json.Unmarshal(result, &env); err != nil {
		return answer{}, &verification.TransientError{Code: "invalid_envelope", Err: errors.New("result object cannot be decoded")}
	}
	var status, code string
	_ = json.Unmarshal(env.ResultStatus, &status) // not a string: leave ""
	_ = json.Unmarshal(env.ResultCode, &code)

	size := 2 // the braces
	for _, m := range members {
		size += len(m) + 1
	}
	data := make([]byte, 0, size)
	data = append(data, '{')
	for i, m := range members {
		if i > 0 {
			data = append(data, ',')
		}
		data = append(data, m...)
	}
	data = append(data, '}')
	return answer{
		status: strings.ToUpper(strings.TrimSpace(status)),
		code:   normalizeCode(code),
		ekyc:   ekyc,
		data:   data,
	}, nil
}

// skipValue is decoded into to check and step over a member's value without
// copying it.
type skipValue struct{}

func (skipValue) UnmarshalJSON([]byte) error { return nil }

// trimMember strips the separator in front of one object member's text.
func trimMember(b []byte) []byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	b = bytes.TrimPrefix(b, []byte{','})
	return bytes.TrimLeft(b, " \t\r\n")
}

// syntaxError reports a body that is not valid JSON, by offset only.
func syntaxError(body []byte, err error) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return &verification.TransientError{Code: "invalid_json", Err: errors.New("response body is empty")}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &verification.TransientError{Code: "invalid_json", Err: fmt.Errorf("response is not valid JSON (error at byte %d of %d)", se.Offset, len(body))}
	}
	return &verification.TransientError{Code: "invalid_json", Err: fmt.Errorf("response is not valid JSON (cut off after %d bytes)", len(body))}
}

// finalResult turns the ekycResult of a SUCCESS answer into a Result. Data
// is the answer without its result envelope, as received.
func finalResult(a answer) (verification.Result, error) {
	if providerhttp.IsNull(a.ekyc) {
		return verification.Result{}, &verification.TransientError{Code: CodeUnknownResult, Err: errors.New("SUCCESS answer without ekycResult")}
	}
	var value string
	if err := json.Unmarshal(a.ekyc, &value); err != nil {
		return verification.Result{}, &verification.TransientError{Code: CodeUnknownResult, Err: errors.New("ekycResult is not a string")}
	}
	var status verification.Status
	switch strings.ToUpper(strings.TrimSpace(value)) {
	case "INPROCESS", "PENDING":
		return verification.Result{Final: false}, nil
	case "SUCCESS":
		status = verification.StatusPass
	case "FAILURE":
		status = verification.StatusFail
	case "VOIDCANCELLED":
		status = verification.StatusCancelled
	case "VOIDTIMEOUT":
		// The user did not finish in time: the provider's own timeout,
		// not the poller's deadline (StatusTimeout).
		status = verification.StatusIncomplete
	default:
		return verification.Result{}, &verification.TransientError{Code: CodeUnknownResult, Err: errors.New("ekycResult is not one of InProcess, Pending, Success, Failure, VoidCancelled and VoidTimeout")}
	}
	return verification.Result{
		Final:          true,
		Status:         status,
		ProviderStatus: value,
		Data:           a.data,
	}, nil
}
