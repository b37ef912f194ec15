// Package advance is the client for ADVANCE.AI's IDVS H5 eKYC Get Result API.
//
// A Client asks whether one verification (a signatureId) is final and
// classifies every answer into a verification.Result, a
// verification.TransientError or a verification.ConfigError. It fetches the
// access token the API needs and shares it through Redis with every other
// worker process, so that any number of concurrent polls costs one token
// request per token lifetime (see tokencache.go).
//
// Provider responses hold personal data (names, ID numbers, addresses,
// images). Errors and log lines made here carry provider codes, HTTP status
// numbers and our own words only: never any part of a response body, the
// provider's message field, the access token or the keys.
//
// Codes of our own, used in TransientError and ConfigError when the provider
// gave none: http_NNN (unexpected HTTP status), timeout, canceled, network,
// response_too_large, content_type, invalid_json, invalid_envelope,
// invalid_data, invalid_token_response, token_cache, token_wait, and
// UNKNOWN_RESULT (a SUCCESS answer whose overall result is not PASS, FAIL or
// INCOMPLETE).
package advance

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/provider/providerhttp"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// API paths, appended to Options.BaseURL.
const (
	TokenPath     = "/openapi/auth/ticket/v1/generate-token"
	GetResultPath = "/intl/openapi/identity-risk/idvs-h5/ekyc/v1/get-result"
)

// TokenHeader carries the access token on every call but the token request.
const TokenHeader = "X-ACCESS-TOKEN"

// Defaults for optional Options fields.
const (
	DefaultReturnImageType  = "URL"
	DefaultTimeout          = 30 * time.Second
	DefaultTokenPeriod      = time.Hour
	DefaultMaxResponseBytes = 32 << 20
)

// Bounds of the token lifetime the provider accepts (periodSecond).
const (
	MinTokenPeriod = time.Minute
	MaxTokenPeriod = 24 * time.Hour
)

// Options configures a Client.
type Options struct {
	// BaseURL is the regional API host, e.g. https://api.advance.ai; the API
	// paths are appended to it. Required.
	BaseURL string
	// AccessKey and SecretKey are the account's credentials. Required.
	AccessKey string
	SecretKey string
	// ReturnImageType is "URL" (default) or "BASE64", sent as
	// returnImageType.
	ReturnImageType string
	// Timeout bounds one HTTP request, body included (default 30s).
	Timeout time.Duration
	// TokenPeriod is the lifetime asked for new tokens (periodSecond),
	// 1m to 24h, default 1h.
	TokenPeriod time.Duration
	// MaxResponseBytes caps a response body (default 32 MiB); a larger body
	// is a transient error.
	MaxResponseBytes int64
	// Redis holds the token shared by every worker process. Required.
	Redis redis.UniversalClient
	// HTTPClient is optional. The default client applies Timeout and follows
	// no redirects. Timeout is applied to every request either way.
	HTTPClient *http.Client
	// Logger is optional (default: no logging).
	Logger *zap.Logger
	// Now is optional, for tests (default time.Now).
	Now func() time.Time
	// OnTokenRefresh is optional. It is called once per token actually
	// fetched from the provider, not for tokens found in Redis.
	OnTokenRefresh func()
}

// Client polls ADVANCE.AI. It is safe for concurrent use. Its only state is
// the token cache.
type Client struct {
	baseURL   string
	accessKey string
	secretKey string
	imageType string
	timeout   time.Duration
	period    time.Duration
	maxBytes  int64
	rdb       redis.UniversalClient
	http      *http.Client
	log       *zap.Logger
	now       func() time.Time
	onRefresh func()

	cacheKey string
	lockKey  string
	lockTTL  time.Duration
	maxWait  time.Duration

	mu     sync.Mutex
	cur    *cachedToken // the token this process uses while it is fresh
	flight *tokenFlight // the token acquisition in progress, if any
}

// New validates opts, fills defaults and returns a Client. Validation errors
// name the offending field and never echo a key.
func New(opts Options) (*Client, error) {
	opts.ReturnImageType = strings.ToUpper(cmp.Or(opts.ReturnImageType, DefaultReturnImageType))
	opts.Timeout = cmp.Or(opts.Timeout, DefaultTimeout)
	opts.TokenPeriod = cmp.Or(opts.TokenPeriod, DefaultTokenPeriod)
	opts.MaxResponseBytes = cmp.Or(opts.MaxResponseBytes, DefaultMaxResponseBytes)

	var errs []error
	base, err := checkBaseURL(opts.BaseURL)
	if err != nil {
		errs = append(errs, err)
	}
	if opts.AccessKey == "" {
		errs = append(errs, errors.New("AccessKey: is required"))
	}
	if opts.SecretKey == "" {
		errs = append(errs, errors.New("SecretKey: is required"))
	}
	if opts.ReturnImageType != "URL" && opts.ReturnImageType != "BASE64" {
		errs = append(errs, errors.New(`ReturnImageType: must be "URL" or "BASE64"`))
	}
	if opts.Timeout < 0 {
		errs = append(errs, fmt.Errorf("Timeout: must be positive, got %s", opts.Timeout))
	}
	if opts.TokenPeriod < MinTokenPeriod || opts.TokenPeriod > MaxTokenPeriod {
		errs = append(errs, fmt.Errorf("TokenPeriod: must be between %s and %s, got %s", MinTokenPeriod, MaxTokenPeriod, opts.TokenPeriod))
	}
	if opts.MaxResponseBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxResponseBytes: must be positive, got %d", opts.MaxResponseBytes))
	}
	if opts.Redis == nil {
		errs = append(errs, errors.New("Redis: is required (it holds the shared access token)"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("advance options: %w", errors.Join(errs...))
	}

	c := &Client{
		baseURL:   base,
		accessKey: opts.AccessKey,
		secretKey: opts.SecretKey,
		imageType: opts.ReturnImageType,
		timeout:   opts.Timeout,
		period:    opts.TokenPeriod.Truncate(time.Second),
		maxBytes:  opts.MaxResponseBytes,
		rdb:       opts.Redis,
		http:      opts.HTTPClient,
		log:       cmp.Or(opts.Logger, zap.NewNop()).With(zap.String("provider", verification.ProviderAdvance)),
		now:       opts.Now,
		onRefresh: opts.OnTokenRefresh,
	}
	if c.http == nil {
		c.http = providerhttp.NewClient(c.timeout)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.cacheKey = CacheKey(base, opts.AccessKey)
	c.lockKey = c.cacheKey + ":lock"
	// The lock outlives one token request, so that a live holder keeps it
	// while it fetches; a holder that died loses it after lockTTL.
	c.lockTTL = c.timeout + lockSlack
	c.maxWait = 2*c.lockTTL + c.timeout
	return c, nil
}

func checkBaseURL(raw string) (string, error) {
	if _, err := providerhttp.ParseBaseURL(raw, "https://api.advance.ai"); err != nil {
		return "", err
	}
	return strings.TrimRight(raw, "/"), nil
}

// getResultRequest is the Get Result API's request body.
type getResultRequest struct {
	SignatureID     string `json:"signatureId"`
	ReturnImageType string `json:"returnImageType"`
}

// errTokenRejected reports an IAM_FAILED answer: the token is unknown or
// expired at the provider.
var errTokenRejected = errors.New("access token rejected")

// Check asks the provider for the result of ref.ID, a signatureId.
//
// A Result with Final false means the provider is still processing. Errors
// are *verification.TransientError (retry later, honouring RetryAfter),
// *verification.ConfigError (our set-up is wrong: retry slowly and alert)
// or, when ctx ends, an error wrapping ctx.Err().
func (c *Client) Check(ctx context.Context, ref verification.Ref) (verification.Result, error) {
	if ref.ID == "" {
		return verification.Result{}, errors.New("advance get result: empty signature id")
	}
	if ref.Provider != "" && ref.Provider != verification.ProviderAdvance {
		return verification.Result{}, fmt.Errorf("advance get result: reference is for provider %q", ref.Provider)
	}
	log := c.log.With(zap.String("verification_id", ref.ID))

	tok, err := c.token(ctx)
	if err != nil {
		return verification.Result{}, fmt.Errorf("advance access token: %w", err)
	}
	res, err := c.getResult(ctx, log, ref.ID, tok.Token)
	if !errors.Is(err, errTokenRejected) {
		return res, wrapResultErr(err)
	}

	// The token was revoked or expired early: drop it, unless another caller
	// has already replaced it, and try once more with a fresh one.
	log.Warn("access token rejected, fetching a new one", zap.String("provider_code", codeIAMFailed))
	if err := c.invalidateToken(ctx, tok); err != nil {
		return verification.Result{}, fmt.Errorf("advance access token: %w", err)
	}
	tok, err = c.token(ctx)
	if err != nil {
		return verification.Result{}, fmt.Errorf("advance access token: %w", err)
	}
	res, err = c.getResult(ctx, log, ref.ID, tok.Token)
	if errors.Is(err, errTokenRejected) {
		return verification.Result{}, wrapResultErr(&verification.ConfigError{
			Code: codeIAMFailed,
			Err:  errors.New("a newly fetched access token was rejected too"),
		})
	}
	return res, wrapResultErr(err)
}

func wrapResultErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("advance get result: %w", err)
}

// getResult makes one Get Result call with tok and classifies the answer.
func (c *Client) getResult(ctx context.Context, log *zap.Logger, id, tok string) (verification.Result, error) {
	body, err := json.Marshal(getResultRequest{SignatureID: id, ReturnImageType: c.imageType})
	if err != nil {
		return verification.Result{}, fmt.Errorf("encode request: %w", err)
	}
	resp, err := c.post(ctx, GetResultPath, tok, body)
	if err != nil {
		return verification.Result{}, err
	}
	env, err := parseEnvelope(resp.body)
	if err != nil {
		return verification.Result{}, err
	}
	switch classify(env.Code) {
	case classSuccess:
		res, err := parseResult(env.Data)
		var te *verification.TransientError
		if errors.As(err, &te) && te.Code == codeUnknownResult {
			// The value itself stays unlogged: it is part of the body.
			log.Warn("provider answered an overall result this client does not know")
		}
		return res, err
	case classNotFound:
		return verification.Result{
			Final:     true,
			Status:    verification.StatusNotFound,
			ErrorCode: codeSignatureNotExist,
		}, nil
	case classTokenRejected:
		return verification.Result{}, errTokenRejected
	}
	return verification.Result{}, c.codeError(log, env.Code, resp)
}

// codeError turns a non-success provider code into the error to return.
func (c *Client) codeError(log *zap.Logger, code string, resp *response) error {
	switch classify(code) {
	case classThrottled:
		return &verification.TransientError{
			Code:       code,
			Throttled:  true,
			RetryAfter: parseRetryAfter(resp.header.Get("Retry-After"), c.now()),
		}
	case classTransient:
		return &verification.TransientError{Code: code}
	case classConfig:
		return &verification.ConfigError{Code: code}
	case classTokenRejected, classNotFound:
		// Meaningless outside Get Result (the token request itself).
		return &verification.ConfigError{Code: code, Err: errors.New("unexpected answer to a token request")}
	}
	log.Warn("provider answered an unknown code", zap.String("provider_code", code))
	return &verification.TransientError{Code: code, Err: errors.New("unknown provider code")}
}
