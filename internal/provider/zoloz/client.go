// Package zoloz is the client for the ZOLOZ Real ID checkresult API.
//
// A Client asks whether one verification (a transactionId with its bizId) is
// final and classifies every answer into a verification.Result, a
// verification.TransientError or a verification.ConfigError. Every request
// is signed with the merchant's RSA key, and every answer's signature is
// checked with the ZOLOZ public key before anything in it is believed (see
// signature.go); an answer that fails the check is a TransientError with
// code signature_invalid, whatever it says.
//
// Provider responses hold personal data (names, ID numbers, addresses,
// base64 images). Errors and log lines made here carry provider codes, HTTP
// status numbers and our own words only: never any part of a response body,
// the provider's resultMessage, the keys or the signatures.
//
// Codes of our own, used in TransientError and ConfigError when the provider
// gave none: http_NNN (unexpected HTTP status), timeout, canceled, network,
// response_too_large, content_type, invalid_json, invalid_envelope,
// status_unknown (resultStatus U without a code), signature_invalid (the
// answer's signature did not verify; the provider's own SIGNATURE_INVALID,
// in upper case, means it rejected ours) and UNKNOWN_RESULT (a SUCCESS
// answer whose ekycResult is missing or unknown).
package zoloz

import (
	"cmp"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/provider/providerhttp"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// CheckResultPath is the Real ID checkresult API, appended to
// Options.BaseURL; it is also the path both signatures cover.
const CheckResultPath = "/api/v1/zoloz/realid/checkresult"

// Defaults for optional Options fields.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 32 << 20
)

// ThrottleRetryAfter is the least delay asked for after a
// REQUEST_TRAFFIC_EXCEED_LIMIT answer; a longer Retry-After header wins.
const ThrottleRetryAfter = 5 * time.Second

// documentedExtraImages are the extraImageControlList values the API
// documents. Others are sent as given (the list grows) and logged by New.
var documentedExtraImages = []string{
	"FACE_EYE_CLOSE",
	"DOC_FRONT_ANGLE",
	"DOC_FRONT_FLASH",
	"DOC_BACK_ANGLE",
	"DOC_BACK_FLASH",
	"CROPPED_FACE",
}

// Options configures a Client.
type Options struct {
	// BaseURL is the regional gateway, e.g.
	// https://sg-production-api.zoloz.com, without a path. Required.
	BaseURL string
	// ClientID is the merchant's client id (the Client-Id header).
	// Required.
	ClientID string
	// MerchantPrivateKey signs requests; at least MinKeyBits. Required.
	MerchantPrivateKey *rsa.PrivateKey
	// ZolozPublicKey verifies answers; required when
	// VerifyResponseSignature is set.
	ZolozPublicKey *rsa.PublicKey
	// VerifyResponseSignature makes the client reject every answer whose
	// signature does not verify. Configuration turns it on unless it is
	// explicitly disabled.
	VerifyResponseSignature bool
	// IsReturnImage asks for base64 images in the answer (isReturnImage
	// "Y"); such answers can be megabytes.
	IsReturnImage bool
	// ExtraImageControlList asks for extra images (FACE_EYE_CLOSE,
	// DOC_FRONT_ANGLE, DOC_FRONT_FLASH, DOC_BACK_ANGLE, DOC_BACK_FLASH,
	// CROPPED_FACE); it needs IsReturnImage.
	ExtraImageControlList []string
	// ReturnFiveCategorySpoofResult asks for the five-category document
	// spoofing result (returnFiveCategorySpoofResult "Y").
	ReturnFiveCategorySpoofResult bool
	// Timeout bounds one HTTP request, body included (default 30s).
	Timeout time.Duration
	// MaxResponseBytes caps a response body (default 32 MiB); a larger
	// body is a transient error.
	MaxResponseBytes int64
	// HTTPClient is optional. The default client applies Timeout and
	// follows no redirects. Timeout is applied to every request either way.
	HTTPClient *http.Client
	// Logger is optional (default: no logging).
	Logger *zap.Logger
	// Now is optional, for tests (default time.Now); it sets Request-Time.
	Now func() time.Time
	// OnSignatureFailure is optional. It is called once per answer whose
	// signature does not verify.
	OnSignatureFailure func()
}

// Client polls ZOLOZ Real ID. It is safe for concurrent use and holds no
// state between calls.
type Client struct {
	baseURL   string
	clientID  string
	key       *rsa.PrivateKey
	pub       *rsa.PublicKey
	verify    bool
	images    string // "Y" or "N"
	extra     []string
	fiveCat   string // "Y" or "N"
	timeout   time.Duration
	maxBytes  int64
	http      *http.Client
	log       *zap.Logger
	now       func() time.Time
	onSigFail func()
}

// New validates opts, fills defaults and returns a Client. Validation errors
// name the offending field and never echo a key.
func New(opts Options) (*Client, error) {
	opts.Timeout = cmp.Or(opts.Timeout, DefaultTimeout)
	opts.MaxResponseBytes = cmp.Or(opts.MaxResponseBytes, DefaultMaxResponseBytes)

	var errs []error
	base, err := checkBaseURL(opts.BaseURL)
	if err != nil {
		errs = append(errs, err)
	}
	if err := checkClientID(opts.ClientID); err != nil {
		errs = append(errs, err)
	}
	switch {
	case opts.MerchantPrivateKey == nil:
		errs = append(errs, errors.New("MerchantPrivateKey: is required"))
	case opts.MerchantPrivateKey.N == nil || opts.MerchantPrivateKey.N.BitLen() < MinKeyBits:
		errs = append(errs, fmt.Errorf("MerchantPrivateKey: must be an RSA key of at least %d bits", MinKeyBits))
	}
	switch {
	case opts.ZolozPublicKey == nil && opts.VerifyResponseSignature:
		errs = append(errs, errors.New("ZolozPublicKey: is required to verify response signatures"))
	case opts.ZolozPublicKey != nil && (opts.ZolozPublicKey.N == nil || opts.ZolozPublicKey.N.BitLen() < MinKeyBits):
		errs = append(errs, fmt.Errorf("ZolozPublicKey: must be an RSA key of at least %d bits", MinKeyBits))
	}
	if err := checkExtraImages(opts.ExtraImageControlList, opts.IsReturnImage); err != nil {
		errs = append(errs, err)
	}
	if opts.Timeout < 0 {
		errs = append(errs, fmt.Errorf("Timeout: must be positive, got %s", opts.Timeout))
	}
	if opts.MaxResponseBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxResponseBytes: must be positive, got %d", opts.MaxResponseBytes))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("zoloz options: %w", errors.Join(errs...))
	}

	c := &Client{
		baseURL:   base,
		clientID:  opts.ClientID,
		key:       opts.MerchantPrivateKey,
		pub:       opts.ZolozPublicKey,
		verify:    opts.VerifyResponseSignature,
		images:    yesNo(opts.IsReturnImage),
		extra:     append([]string(nil), opts.ExtraImageControlList...),
		fiveCat:   yesNo(opts.ReturnFiveCategorySpoofResult),
		timeout:   opts.Timeout,
		maxBytes:  opts.MaxResponseBytes,
		http:      opts.HTTPClient,
		log:       cmp.Or(opts.Logger, zap.NewNop()).With(zap.String("provider", verification.ProviderZoloz)),
		now:       opts.Now,
		onSigFail: opts.OnSignatureFailure,
	}
	if c.http == nil {
		c.http = providerhttp.NewClient(c.timeout)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if !c.verify {
		c.log.Warn("zoloz response signature verification is disabled: answers are trusted unchecked")
	}
	for _, v := range c.extra {
		if !documentedExtraImage(v) {
			c.log.Warn("extraImageControlList value not in the API documentation; sent as given", zap.String("value", v))
		}
	}
	return c, nil
}

func checkBaseURL(raw string) (string, error) {
	u, err := providerhttp.ParseBaseURL(raw, "https://sg-production-api.zoloz.com")
	if err != nil {
		return "", err
	}
	if strings.Trim(u.Path, "/") != "" {
		// The signatures cover the API path; a prefix would break them.
		return "", errors.New("BaseURL: must not have a path (the API path is appended and signed)")
	}
	return strings.TrimRight(raw, "/"), nil
}

func checkClientID(id string) error {
	if id == "" {
		return errors.New("ClientID: is required")
	}
	for _, r := range id {
		// It goes into a header and into the signed content.
		if !unicode.IsPrint(r) || unicode.IsSpace(r) || r > unicode.MaxASCII {
			return errors.New("ClientID: must be printable ASCII without spaces")
		}
	}
	return nil
}

func checkExtraImages(list []string, returnImage bool) error {
	if len(list) == 0 {
		return nil
	}
	if !returnImage {
		return errors.New("ExtraImageControlList: needs IsReturnImage (the API ignores it otherwise)")
	}
	seen := make(map[string]bool, len(list))
	for _, v := range list {
		if v == "" || normalizeCode(v) != v {
			return fmt.Errorf("ExtraImageControlList: %q is not a value such as %s", truncate(v), strings.Join(documentedExtraImages, ", "))
		}
		if seen[v] {
			return fmt.Errorf("ExtraImageControlList: %s is listed twice", v)
		}
		seen[v] = true
	}
	return nil
}

func documentedExtraImage(v string) bool {
	return slices.Contains(documentedExtraImages, v)
}

func yesNo(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// truncate keeps error messages short when echoing configuration back.
func truncate(s string) string {
	const max = 32
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// checkResultRequest is the checkresult request body.
type checkResultRequest struct {
	BizID                         string   `json:"bizId"`
	TransactionID                 string   `json:"transactionId"`
	IsReturnImage                 string   `json:"isReturnImage"`
	ExtraImageControlList         []string `json:"extraImageControlList,omitempty"`
	ReturnFiveCategorySpoofResult string   `json:"returnFiveCategorySpoofResult"`
}

// Check asks the provider for the result of ref: ref.ID is the
// transactionId, ref.BizID the bizId given at initialize.
//
// A Result with Final false means the provider is still processing. Errors
// are *verification.TransientError (retry later, honouring RetryAfter),
// *verification.ConfigError (our set-up is wrong: retry slowly and alert)
// or, when ctx ends, an error wrapping ctx.Err().
func (c *Client) Check(ctx context.Context, ref verification.Ref) (verification.Result, error) {
	switch {
	case ref.ID == "":
		return verification.Result{}, errors.New("zoloz checkresult: empty transaction id")
	case ref.BizID == "":
		return verification.Result{}, errors.New("zoloz checkresult: empty biz id")
	case ref.Provider != "" && ref.Provider != verification.ProviderZoloz:
		return verification.Result{}, fmt.Errorf("zoloz checkresult: reference is for provider %q", ref.Provider)
	}
	log := c.log.With(zap.String("verification_id", ref.ID))
	res, err := c.checkResult(ctx, log, ref)
	if err != nil {
		return verification.Result{}, fmt.Errorf("zoloz checkresult: %w", err)
	}
	return res, nil
}

// checkResult makes one checkresult call and classifies the answer.
func (c *Client) checkResult(ctx context.Context, log *zap.Logger, ref verification.Ref) (verification.Result, error) {
	body, err := json.Marshal(checkResultRequest{
		BizID:                         ref.BizID,
		TransactionID:                 ref.ID,
		IsReturnImage:                 c.images,
		ExtraImageControlList:         c.extra,
		ReturnFiveCategorySpoofResult: c.fiveCat,
	})
	if err != nil {
		return verification.Result{}, fmt.Errorf("encode request: %w", err)
	}
	resp, err := c.call(ctx, log, CheckResultPath, body)
	if err != nil {
		return verification.Result{}, err
	}
	a, err := parseAnswer(resp.body)
	if err != nil {
		return verification.Result{}, err
	}
	return c.interpret(log, a, resp.header)
}

// interpret classifies a decoded answer. The status and the code must agree:
// S goes with SUCCESS only, F with an error code; U is unknown whatever the
// code. Anything else is never taken as a result.
func (c *Client) interpret(log *zap.Logger, a answer, header http.Header) (verification.Result, error) {
	switch a.status {
	case statusUnknown:
		code := a.code
		if code == "" || code == codeSuccess {
			code = codeStatusUnknown
		}
		return verification.Result{}, &verification.TransientError{
			Code: code,
			Err:  errors.New("provider reports the outcome of the call as unknown"),
		}
	case statusSuccess:
		if a.code != codeSuccess {
			return verification.Result{}, &verification.TransientError{Code: "invalid_envelope", Err: errors.New("resultStatus S without resultCode SUCCESS")}
		}
		res, err := finalResult(a)
		if verification.ErrorCode(err) == CodeUnknownResult {
			// The value itself stays unlogged: it is part of the body.
			log.Warn("provider answered an ekycResult this client does not know")
		}
		return res, err
	case statusFailed:
		if a.code == "" || a.code == codeSuccess {
			return verification.Result{}, &verification.TransientError{Code: "invalid_envelope", Err: errors.New("resultStatus F without an error code")}
		}
	default:
		return verification.Result{}, &verification.TransientError{Code: "invalid_envelope", Err: errors.New("resultStatus is not S, F or U")}
	}

	switch classify(a.code) {
	case classNotFound:
		// The provider rejects this reference: polling it again cannot
		// succeed.
		return verification.Result{Final: true, Status: verification.StatusNotFound, ErrorCode: a.code}, nil
	case classThrottled:
		return verification.Result{}, &verification.TransientError{
			Code:       a.code,
			Throttled:  true,
			RetryAfter: max(ThrottleRetryAfter, parseRetryAfter(header.Get("Retry-After"), c.now())),
		}
	case classTransient:
		return verification.Result{}, &verification.TransientError{Code: a.code}
	case classConfig:
		return verification.Result{}, &verification.ConfigError{Code: a.code}
	}
	log.Warn("provider answered an unknown result code", zap.String("provider_code", a.code))
	return verification.Result{}, &verification.TransientError{Code: a.code, Err: errors.New("unknown provider code")}
}
