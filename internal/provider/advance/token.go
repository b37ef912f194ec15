package advance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/provider/providerhttp"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Signature is the token request's signature: the lowercase hex SHA-256 of
// accessKey + secretKey + timestamp.
func Signature(accessKey, secretKey, timestamp string) string {
	sum := sha256.Sum256([]byte(accessKey + secretKey + timestamp))
	return hex.EncodeToString(sum[:])
}

// tokenRequest is the Token Authentication API's request body. The SDKs send
// the timestamp as a string of 13 digits (epoch milliseconds).
type tokenRequest struct {
	AccessKey    string `json:"accessKey"`
	Timestamp    string `json:"timestamp"`
	Signature    string `json:"signature"`
	PeriodSecond int64  `json:"periodSecond"`
}

// tokenData is the data object of a successful token answer.
type tokenData struct {
	Token       string          `json:"token"`
	ExpiredTime json.RawMessage `json:"expiredTime"` // epoch ms, a number (a string is tolerated)
}

// Refresh margin: a token is replaced this long before the provider's
// expiredTime, so that a call started just before the refresh point still
// carries a valid token and clocks may disagree a little.
const (
	minRefreshMargin      = time.Minute
	refreshMarginFraction = 10 // percent of the token's lifetime
)

// refreshMargin is max(1m, 10% of lifetime), but never more than half the
// lifetime, so that short-lived tokens are still used for a while.
func refreshMargin(lifetime time.Duration) time.Duration {
	m := max(minRefreshMargin, lifetime*refreshMarginFraction/100)
	return min(m, lifetime/2)
}

// fetchToken asks the provider for a new token. It does not touch any cache.
func (c *Client) fetchToken(ctx context.Context) (*cachedToken, error) {
	now := c.now()
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	body, err := json.Marshal(tokenRequest{
		AccessKey:    c.accessKey,
		Timestamp:    ts,
		Signature:    Signature(c.accessKey, c.secretKey, ts),
		PeriodSecond: int64(c.period / time.Second),
	})
	if err != nil {
		return nil, fmt.Errorf("encode token request: %w", err)
	}
	resp, err := c.post(ctx, TokenPath, "", body)
	if err != nil {
		return nil, fmt.Errorf("generate token: %w", err)
	}
	env, err := parseEnvelope(resp.body)
	if err != nil {
		return nil, fmt.Errorf("generate token: %w", err)
	}
	if classify(env.Code) != classSuccess {
		return nil, fmt.Errorf("generate token: %w", c.codeError(c.log, env.Code, resp))
	}

	invalid := func(why string) error {
		return fmt.Errorf("generate token: %w", &verification.TransientError{Code: "invalid_token_response", Err: errors.New(why)})
	}
	if !providerhttp.IsObject(env.Data) {
		return nil, invalid("SUCCESS answer without a data object")
	}
	var d tokenData
	if err := json.Unmarshal(env.Data, &d); err != nil {
		return nil, invalid("token or expiredTime has the wrong type")
	}
	if !validToken(d.Token) {
		return nil, invalid("token is missing or not a printable header value")
	}

	// Lifetimes are measured on our clock from the moment we asked.
	expires, ok := parseEpochMillis(d.ExpiredTime)
	if lifetime := expires.Sub(now); !ok || lifetime <= 0 {
		// Missing, or already past by our clock: the clocks disagree
		// badly. Trust the period we asked for; an early expiry still
		// surfaces as IAM_FAILED, which refreshes.
		c.log.Warn("token expiry missing or in the past; assuming the requested period, check the clock",
			zap.Bool("expiry_present", ok))
		expires = now.Add(c.period)
	}
	lifetime := expires.Sub(now)
	t := &cachedToken{
		Token:     d.Token,
		ExpiresAt: expires.UnixMilli(),
		RefreshAt: expires.Add(-refreshMargin(lifetime)).UnixMilli(),
	}
	if err := t.encode(); err != nil {
		return nil, err
	}
	c.log.Info("access token fetched",
		zap.Duration("valid_for", lifetime.Round(time.Second)),
		zap.Time("refresh_at", time.UnixMilli(t.RefreshAt)))
	if c.onRefresh != nil {
		c.onRefresh()
	}
	return t, nil
}

// validToken accepts a token that can be sent as a header value.
func validToken(s string) bool {
	if s == "" || len(s) > 8<<10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// parseEpochMillis reads expiredTime: a JSON number or numeric string of
// epoch milliseconds. A value below 1e11 is taken as seconds.
func parseEpochMillis(v json.RawMessage) (time.Time, bool) {
	if providerhttp.IsNull(v) {
		return time.Time{}, false
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return time.Time{}, false
	}
	ms, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil || f <= 0 || f > 1e15 {
			return time.Time{}, false
		}
		ms = int64(f)
	}
	if ms <= 0 {
		return time.Time{}, false
	}
	if ms < 1e11 {
		ms *= 1000
	}
	return time.UnixMilli(ms), true
}
