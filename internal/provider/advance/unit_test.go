package advance

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/verification"
)

func TestSignatureVector(t *testing.T) {
	t.Parallel()
	// The provider's documented test vector.
	got := Signature("sampleaccesskey", "samplesecretkey", "1665993522952")
	if want := "02209bbeaf0d0a3dd587f6a1ba22f84c98d142e3b545e77db7e4906ca56349f5"; got != want {
		t.Errorf("Signature = %s, want %s", got, want)
	}
}

func TestCacheKey(t *testing.T) {
	t.Parallel()
	k := CacheKey("https://api.advance.ai", "my-access-key")
	if !regexp.MustCompile(`^kycpoller:advance:token:[0-9a-f]{16}$`).MatchString(k) {
		t.Errorf("CacheKey = %q", k)
	}
	if strings.Contains(k, "my-access-key") {
		t.Error("CacheKey holds the access key")
	}
	if k == CacheKey("https://sg-api.advance.ai", "my-access-key") || k == CacheKey("https://api.advance.ai", "other") {
		t.Error("CacheKey does not depend on both the host and the key")
	}
	// "ab"+"c" and "a"+"bc" must not collide.
	if CacheKey("ab", "c") == CacheKey("a", "bc") {
		t.Error("CacheKey does not separate its inputs")
	}

	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	c1, err1 := New(Options{BaseURL: "https://api.advance.ai/", AccessKey: "a", SecretKey: "s", Redis: rdb})
	c2, err2 := New(Options{BaseURL: "https://api.advance.ai", AccessKey: "a", SecretKey: "s", Redis: rdb})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if c1.cacheKey != c2.cacheKey || c1.lockKey != c1.cacheKey+":lock" {
		t.Errorf("keys %q %q %q", c1.cacheKey, c2.cacheKey, c1.lockKey)
	}
}

func TestRefreshMargin(t *testing.T) {
	t.Parallel()
	for lifetime, want := range map[time.Duration]time.Duration{
		24 * time.Hour:   144 * time.Minute,
		time.Hour:        6 * time.Minute,
		5 * time.Minute:  time.Minute,
		2 * time.Minute:  time.Minute,
		time.Minute:      30 * time.Second,
		10 * time.Second: 5 * time.Second,
	} {
		if got := refreshMargin(lifetime); got != want {
			t.Errorf("refreshMargin(%s) = %s, want %s", lifetime, got, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"10s":   10 * time.Second,
		"10":    10 * time.Second,
		" 2.5 ": 2500 * time.Millisecond,
		"1m30s": 90 * time.Second,
		now.Add(time.Minute).Format(http.TimeFormat):  time.Minute,
		now.Add(-time.Minute).Format(http.TimeFormat): 0,
		"":        0,
		"soon":    0,
		"-5":      0,
		"-5s":     0,
		"NaN":     0,
		"1000000": maxRetryAfter,
		"48h":     maxRetryAfter,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestNewValidation(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	good := func() Options {
		return Options{BaseURL: "https://api.advance.ai", AccessKey: testAccessKey, SecretKey: testSecretKey, Redis: rdb}
	}
	c, err := New(good())
	if err != nil {
		t.Fatalf("New(good): %v", err)
	}
	if c.imageType != "URL" || c.timeout != DefaultTimeout || c.period != DefaultTokenPeriod || c.maxBytes != DefaultMaxResponseBytes {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.http.CheckRedirect == nil {
		t.Error("default HTTP client follows redirects")
	}

	tests := []struct {
		field string
		mod   func(*Options)
	}{
		{"BaseURL", func(o *Options) { o.BaseURL = "" }},
		{"BaseURL", func(o *Options) { o.BaseURL = "api.advance.ai" }},
		{"BaseURL", func(o *Options) { o.BaseURL = "ftp://api.advance.ai" }},
		{"BaseURL", func(o *Options) { o.BaseURL = "https://user:" + testSecretKey + "@api.advance.ai" }},
		{"AccessKey", func(o *Options) { o.AccessKey = "" }},
		{"SecretKey", func(o *Options) { o.SecretKey = "" }},
		{"ReturnImageType", func(o *Options) { o.ReturnImageType = "PNG" }},
		{"Timeout", func(o *Options) { o.Timeout = -time.Second }},
		{"TokenPeriod", func(o *Options) { o.TokenPeriod = 59 * time.Second }},
		{"TokenPeriod", func(o *Options) { o.TokenPeriod = 25 * time.Hour }},
		{"MaxResponseBytes", func(o *Options) { o.MaxResponseBytes = -1 }},
		{"Redis", func(o *Options) { o.Redis = nil }},
	}
	for _, tt := range tests {
		o := good()
		tt.mod(&o)
		_, err := New(o)
		if err == nil || !strings.Contains(err.Error(), tt.field+":") {
			t.Errorf("%s: error %v, want one naming the field", tt.field, err)
			continue
		}
		if strings.Contains(err.Error(), testSecretKey) || strings.Contains(err.Error(), testAccessKey) {
			t.Errorf("%s: error leaks a key: %v", tt.field, err)
		}
	}

	o := good()
	o.ReturnImageType = "base64"
	if c, err := New(o); err != nil || c.imageType != "BASE64" {
		t.Errorf("lower-case base64: %v", err)
	}
}

func TestParseResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want verification.Result // Data is checked separately
		code string              // TransientError code when an error is wanted
	}{
		{"pending", `{"overallResult":null,"idvResult":null,"errorCode":null}`, verification.Result{}, ""},
		{"no result keys", `{"signatureId":"x"}`, verification.Result{}, ""},
		{"pass", `{"overallResult":"PASS","errorCode":"SUCCESS"}`, verification.Result{Final: true, Status: verification.StatusPass, ProviderStatus: "PASS", ErrorCode: "SUCCESS"}, ""},
		{"legacy lower-case", `{"overResult":"fail","idvResult":"fail","errorCode":"NOT_SUPPORTED_CARD"}`, verification.Result{Final: true, Status: verification.StatusFail, ProviderStatus: "fail", ErrorCode: "NOT_SUPPORTED_CARD"}, ""},
		{"idvResult only", `{"overallResult":null,"idvResult":"Incomplete"}`, verification.Result{Final: true, Status: verification.StatusIncomplete, ProviderStatus: "Incomplete"}, ""},
		{"first non-null wins", `{"overallResult":"FAIL","idvResult":"PASS","errorCode":"LIVENESS_ATTACK"}`, verification.Result{Final: true, Status: verification.StatusFail, ProviderStatus: "FAIL", ErrorCode: "LIVENESS_ATTACK"}, ""},
		{"key case", `{"OVERALLRESULT":"pass"}`, verification.Result{Final: true, Status: verification.StatusPass, ProviderStatus: "pass"}, ""},
		{"errorCode not a string", `{"overallResult":"FAIL","errorCode":17}`, verification.Result{Final: true, Status: verification.StatusFail, ProviderStatus: "FAIL"}, ""},
		{"unknown value", `{"overallResult":"REVIEW"}`, verification.Result{}, codeUnknownResult},
		{"empty value", `{"overallResult":""}`, verification.Result{}, codeUnknownResult},
		{"number value", `{"overallResult":1}`, verification.Result{}, codeUnknownResult},
		{"object value", `{"overallResult":{"v":"PASS"}}`, verification.Result{}, codeUnknownResult},
		{"data null", `null`, verification.Result{}, "invalid_data"},
		{"data array", `["PASS"]`, verification.Result{}, "invalid_data"},
		{"data string", `"PASS"`, verification.Result{}, "invalid_data"},
		{"data absent", ``, verification.Result{}, "invalid_data"},
	}
	for _, tt := range tests {
		got, err := parseResult([]byte(tt.data))
		if tt.code != "" {
			te, ok := asTransient(err)
			if !ok || te.Code != tt.code {
				t.Errorf("%s: error %v, want TransientError %s", tt.name, err, tt.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got.Final && string(got.Data) != tt.data {
			t.Errorf("%s: Data = %s, want the data object as received", tt.name, got.Data)
		}
		if !got.Final && got.Data != nil {
			t.Errorf("%s: Data set on a result that is not final", tt.name)
		}
		got.Data = nil
		if got.Final != tt.want.Final || got.Status != tt.want.Status || got.ProviderStatus != tt.want.ProviderStatus || got.ErrorCode != tt.want.ErrorCode {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestParseEnvelope(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"code":"SUCCESS","data":{}}`:        "SUCCESS",
		`{"code":"service_busy","data":null}`: "SERVICE_BUSY",
		`{"code":" ERROR "}`:                  "ERROR",
	} {
		env, err := parseEnvelope([]byte(body))
		if err != nil || env.Code != want {
			t.Errorf("parseEnvelope(%s) = %q, %v; want %q", body, env.Code, err, want)
		}
	}
	secret := "TEST PERSON ALPHA"
	for body, code := range map[string]string{
		``: "invalid_json",
		`{"code":"SUCCESS","data":{"n":"` + secret: "invalid_json",
		`<html>` + secret:                          "invalid_json",
		`["` + secret + `"]`:                       "invalid_envelope",
		`null`:                                     "invalid_envelope",
		`{"message":"` + secret + `"}`:             "invalid_envelope",
		`{"code":17}`:                              "invalid_envelope",
		`{"code":"` + secret + `"}`:                "invalid_envelope",
		`{"code":"SUCCESS"} trailing`:              "invalid_json",
	} {
		_, err := parseEnvelope([]byte(body))
		te, ok := asTransient(err)
		if !ok || te.Code != code {
			t.Errorf("parseEnvelope(%q): %v, want TransientError %s", body, err, code)
			continue
		}
		if strings.Contains(err.Error(), "PERSON") || strings.Contains(err.Error(), "html") {
			t.Errorf("parseEnvelope(%q): error quotes the body: %v", body, err)
		}
	}
}

func TestParseEpochMillis(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		`1700000000123`:     1700000000123,
		`"1700000000123"`:   1700000000123,
		`1700000000`:        1700000000000,
		`1.700000000123e12`: 1700000000123,
	} {
		got, ok := parseEpochMillis([]byte(in))
		if !ok || got.UnixMilli() != want {
			t.Errorf("parseEpochMillis(%s) = %d, %v; want %d", in, got.UnixMilli(), ok, want)
		}
	}
	for _, in := range []string{``, `null`, `"soon"`, `-1`, `0`, `{}`} {
		if _, ok := parseEpochMillis([]byte(in)); ok {
			t.Errorf("parseEpochMillis(%s) accepted", in)
		}
	}
}
