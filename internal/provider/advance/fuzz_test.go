package advance

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

	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// maxErrorLen bounds the text of any error made from a response: our own
// words, a provider code and a few numbers.
const maxErrorLen = 512

// personalMarkers are values that stand for personal data in fuzzed bodies.
// Each holds a character a provider code cannot (a space or a slash), so an
// error can only contain one by quoting the body.
func personalMarkers() []string {
	var out []string
	for _, m := range append(advancefake.PersonalData(), "Jane Q. Example", "12 Fuzz Lane, Testville", "1984/07/14") {
		if normalizeCode(m) == "" {
			out = append(out, m)
		}
	}
	return out
}

// FuzzParseResponse feeds arbitrary Get Result bodies through the same steps
// as Client.getResult after the HTTP checks: decode the envelope, classify
// its code, read the data object. It must never panic, every error must be
// one of the client's classified errors with a short text that quotes no
// part of the body, and a result can hold no more than the body did.
func FuzzParseResponse(f *testing.F) {
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
		`{"code":"SUCCESS","message":"OK","data":{"overallResult":"PASS","errorCode":"SUCCESS","ocrInfo":{"fullName":"TEST PERSON ALPHA","birthday":"1990/01/01","address":"1 TEST STREET"}}}`,
		`{"code":"SUCCESS","data":{"overallResult":"Jane Q. Example"}}`,
		`{"code":"SUCCESS","data":{"overallResult":null,"idvResult":"incomplete"}}`,
		`{"code":"SUCCESS","data":{"overallResult":1}}`,
		`{"code":"SUCCESS","data":"12 Fuzz Lane, Testville"}`,
		`{"code":"Jane Q. Example","message":"1984/07/14"}`,
		`{"code":"IAM_FAILED","message":"Token not found or expired","data":null}`,
		`{"code":"SERVICE_BUSY","message":"Service busy, please retry later"}`,
		`{"code":"OVER_QUERY_LIMIT"}`,
		`{"code":null}`,
		`[1,2,3]`,
		`{"code":"SUCCESS","data":{"overallResult":"PASS"`,
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
		case verification.StatusPass, verification.StatusFail, verification.StatusIncomplete:
			if !json.Valid(res.Data) || !bytes.Contains(body, res.Data) {
				t.Fatalf("result data is not the body's data object: %q", res.Data)
			}
		case verification.StatusNotFound:
			if res.Data != nil {
				t.Fatalf("NOT_FOUND with data %q", res.Data)
			}
		default:
			t.Fatalf("final result with status %q", res.Status)
		}
		if len(res.ProviderStatus) > len(body) || len(res.ErrorCode) > len(body) {
			t.Fatalf("result fields longer than the body: %+v", res)
		}
	})
}

// interpretBody is Client.getResult from the point the body has been read.
func interpretBody(c *Client, body []byte) (verification.Result, error) {
	env, err := parseEnvelope(body)
	if err != nil {
		return verification.Result{}, err
	}
	switch classify(env.Code) {
	case classSuccess:
		return parseResult(env.Data)
	case classNotFound:
		return verification.Result{Final: true, Status: verification.StatusNotFound, ErrorCode: codeSignatureNotExist}, nil
	case classTokenRejected:
		return verification.Result{}, errTokenRejected
	}
	return verification.Result{}, c.codeError(c.log, env.Code, &response{header: http.Header{"Retry-After": {"7"}}, body: body})
}

// checkFuzzError checks one error made from body.
func checkFuzzError(t *testing.T, body []byte, err error, markers []string) {
	t.Helper()
	var te *verification.TransientError
	var ce *verification.ConfigError
	if !errors.As(err, &te) && !errors.As(err, &ce) && !errors.Is(err, errTokenRejected) {
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
