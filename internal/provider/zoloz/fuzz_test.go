package zoloz

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/fake/zolozfake"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// maxErrorLen bounds the text of any error made from an answer: our own
// words, a provider code and a few numbers.
const maxErrorLen = 512

// personalMarkers are values that stand for personal data in fuzzed bodies.
// Each holds a character a provider code cannot (a space or a slash), so an
// error can only contain one by quoting the body.
func personalMarkers() []string {
	var out []string
	for _, m := range append(zolozfake.PersonalData(), rawPersonal...) {
		if normalizeCode(m) == "" {
			out = append(out, m)
		}
	}
	return append(out, "Jane Q. Example", "12 Fuzz Lane, Testville", "1984/07/14")
}

// FuzzParseAnswer feeds arbitrary checkresult bodies through the same steps
// as Client.checkResult after the HTTP and signature checks: decode the
// answer, then interpret it. It must never panic, every error must be one of
// the client's classified errors with a short text that quotes no part of
// the body, and a final result's data must be a JSON object no larger than
// the body.
func FuzzParseAnswer(f *testing.F) {
	paths, err := filepath.Glob("testdata/examples/*.json")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed bodies in testdata/examples: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"result":{"resultStatus":"S","resultCode":"SUCCESS","resultMessage":"Success"},"ekycResult":"Success","extBasicInfo":{"certName":"TEST PERSON ZULU","certNo":"Z1234567"}}`,
		`{"result":{"resultStatus":"S","resultCode":"SUCCESS"},"ekycResult":"InProcess"}`,
		`{"result":{"resultStatus":"S","resultCode":"SUCCESS"},"ekycResult":"VoidTimeout","extIdInfo":{"ocrResult":{"ADDRESS":"12 Fuzz Lane, Testville"}}}`,
		`{"result":{"resultStatus":"S","resultCode":"SUCCESS"},"ekycResult":"Jane Q. Example"}`,
		`{"result":{"resultStatus":"F","resultCode":"INVALID_ARGUMENT","resultMessage":"FAKE-ZOLOZ-MESSAGE 1984/07/14"}}`,
		`{"result":{"resultStatus":"F","resultCode":"REQUEST_TRAFFIC_EXCEED_LIMIT"}}`,
		`{"result":{"resultStatus":"F","resultCode":"SIGNATURE_INVALID"}}`,
		`{"result":{"resultStatus":"U","resultCode":"SYSTEM_ERROR"}}`,
		`{"result":{"resultStatus":"F","resultCode":"Jane Q. Example"}}`,
		`{"RESULT":{"resultStatus":"S","resultCode":"SUCCESS"},"EkycResult":"Failure","result":null}`,
		`{"result":"S"}`,
		`{"result":{"resultStatus":"S"`,
		`{} {}`,
		`<html><body>502 Bad Gateway</body></html>`,
		``,
	} {
		f.Add([]byte(s))
	}
	markers := personalMarkers()
	c := &Client{log: zap.NewNop(), now: time.Now}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := interpretBody(c, body)
		if err != nil {
			checkFuzzError(t, body, err, markers)
			if res.Final || res.Data != nil {
				t.Fatalf("error %v came with a result %+v", err, res)
			}
			return
		}
		if !res.Final {
			if res.Status != "" || res.ProviderStatus != "" || res.ErrorCode != "" || res.Data != nil {
				t.Fatalf("non-final result carries fields: %+v", res)
			}
			return
		}
		switch res.Status {
		case verification.StatusPass, verification.StatusFail, verification.StatusCancelled, verification.StatusIncomplete:
			var m map[string]json.RawMessage
			if err := json.Unmarshal(res.Data, &m); err != nil {
				t.Fatalf("result data is not a JSON object (%v): %q", err, res.Data)
			}
			if len(res.Data) > len(body)+2 {
				t.Fatalf("result data (%d bytes) larger than the body (%d bytes)", len(res.Data), len(body))
			}
			for k := range m {
				if strings.EqualFold(k, "result") {
					t.Fatalf("result data keeps the result envelope: %q", res.Data)
				}
			}
		case verification.StatusNotFound:
			if res.Data != nil || res.ErrorCode == "" {
				t.Fatalf("NOT_FOUND result %+v", res)
			}
		default:
			t.Fatalf("final result with status %q", res.Status)
		}
		if len(res.ProviderStatus) > len(body) || len(res.ErrorCode) > maxCodeLen {
			t.Fatalf("result fields too long: %+v", res)
		}
	})
}

// interpretBody is Client.checkResult from the point the body has been read
// (and its signature checked).
func interpretBody(c *Client, body []byte) (verification.Result, error) {
	a, err := parseAnswer(body)
	if err != nil {
		return verification.Result{}, err
	}
	return c.interpret(c.log, a, http.Header{"Retry-After": {"7"}})
}

// checkFuzzError checks one error made from body.
func checkFuzzError(t *testing.T, body []byte, err error, markers []string) {
	t.Helper()
	var te *verification.TransientError
	var ce *verification.ConfigError
	if !errors.As(err, &te) && !errors.As(err, &ce) {
		t.Fatalf("unclassified error %T: %v", err, err)
	}
	msg := err.Error()
	if len(msg) > maxErrorLen {
		t.Fatalf("error is %d bytes long: %.200s...", len(msg), msg)
	}
	for _, m := range markers {
		if bytes.Contains(body, []byte(m)) && strings.Contains(msg, m) {
			t.Fatalf("error quotes the body (%q): %s", m, msg)
		}
	}
}
