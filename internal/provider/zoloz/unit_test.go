package zoloz

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestNewValidation(t *testing.T) {
	t.Parallel()
	good := func() Options {
		return Options{
			BaseURL:                 "https://sg-production-api.zoloz.com",
			ClientID:                testClientID,
			MerchantPrivateKey:      merchantKey,
			ZolozPublicKey:          &zolozKey.PublicKey,
			VerifyResponseSignature: true,
		}
	}
	c, err := New(good())
	if err != nil {
		t.Fatalf("New(good): %v", err)
	}
	if c.timeout != DefaultTimeout || c.maxBytes != DefaultMaxResponseBytes || c.images != "N" || c.fiveCat != "N" {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.http.CheckRedirect == nil || c.http.Timeout != DefaultTimeout {
		t.Error("default HTTP client follows redirects or has no timeout")
	}

	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		field string
		mod   func(*Options)
	}{
		{"BaseURL", func(o *Options) { o.BaseURL = "" }},
		{"BaseURL", func(o *Options) { o.BaseURL = "sg-production-api.zoloz.com" }},
		{"BaseURL", func(o *Options) { o.BaseURL = "ftp://sg-production-api.zoloz.com" }},
		{"BaseURL", func(o *Options) { o.BaseURL = "https://user:pw@sg-production-api.zoloz.com" }},
		{"BaseURL", func(o *Options) { o.BaseURL = "https://sg-production-api.zoloz.com/api/v1" }},
		{"ClientID", func(o *Options) { o.ClientID = "" }},
		{"ClientID", func(o *Options) { o.ClientID = "2188 0001" }},
		{"ClientID", func(o *Options) { o.ClientID = "2188\n0001" }},
		{"MerchantPrivateKey", func(o *Options) { o.MerchantPrivateKey = nil }},
		{"MerchantPrivateKey", func(o *Options) { o.MerchantPrivateKey = small }},
		{"ZolozPublicKey", func(o *Options) { o.ZolozPublicKey = nil }},
		{"ZolozPublicKey", func(o *Options) { o.ZolozPublicKey = &small.PublicKey }},
		{"ExtraImageControlList", func(o *Options) { o.ExtraImageControlList = []string{"FACE_EYE_CLOSE"} }},
		{"ExtraImageControlList", func(o *Options) {
			o.IsReturnImage = true
			o.ExtraImageControlList = []string{"face eye close"}
		}},
		{"ExtraImageControlList", func(o *Options) {
			o.IsReturnImage = true
			o.ExtraImageControlList = []string{"CROPPED_FACE", "CROPPED_FACE"}
		}},
		{"ExtraImageControlList", func(o *Options) { o.IsReturnImage = true; o.ExtraImageControlList = []string{""} }},
		{"Timeout", func(o *Options) { o.Timeout = -time.Second }},
		{"MaxResponseBytes", func(o *Options) { o.MaxResponseBytes = -1 }},
	}
	for _, tt := range tests {
		o := good()
		tt.mod(&o)
		_, err := New(o)
		if err == nil || !strings.Contains(err.Error(), tt.field+":") {
			t.Errorf("%s: error %v, want one naming the field", tt.field, err)
		}
	}

	// Several problems are reported together.
	_, err = New(Options{})
	for _, field := range []string{"BaseURL:", "ClientID:", "MerchantPrivateKey:"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("New(Options{}) = %v, want it to name %s", err, field)
		}
	}

	// Without verification the ZOLOZ key is optional.
	o := good()
	o.VerifyResponseSignature, o.ZolozPublicKey = false, nil
	if _, err := New(o); err != nil {
		t.Errorf("verification off, no public key: %v", err)
	}

	// A trailing slash is dropped; a value not documented is accepted
	// with a warning.
	core, logs := observer.New(zapcore.WarnLevel)
	o = good()
	o.BaseURL += "/"
	o.IsReturnImage = true
	o.ExtraImageControlList = []string{"DOC_FRONT_ANGLE", "CROPPED_BACK"}
	o.Logger = zap.New(core)
	c, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	if c.baseURL != "https://sg-production-api.zoloz.com" || c.images != "Y" {
		t.Errorf("baseURL %q images %q", c.baseURL, c.images)
	}
	if logs.FilterField(zap.String("value", "CROPPED_BACK")).Len() != 1 || logs.FilterField(zap.String("value", "DOC_FRONT_ANGLE")).Len() != 0 {
		t.Errorf("undocumented extra image not warned about exactly: %v", logs.All())
	}
	o.ExtraImageControlList[0] = "CHANGED"
	if c.extra[0] != "DOC_FRONT_ANGLE" {
		t.Error("the client shares the caller's slice")
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"10":  10 * time.Second,
		" 7 ": 7 * time.Second,
		"0":   0,
		now.Add(time.Minute).Format(http.TimeFormat):  time.Minute,
		now.Add(-time.Minute).Format(http.TimeFormat): 0,
		"":                     0,
		"soon":                 0,
		"-5":                   0,
		"2.5":                  0,
		"3600":                 maxRetryAfter,
		"99999999999999999999": 0, // not a uint64
		"1000000":              maxRetryAfter,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestNormalizeCode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"SUCCESS":               "SUCCESS",
		" param_illegal ":       "PARAM_ILLEGAL",
		"a.b-c":                 "A.B-C",
		"":                      "",
		"HAS SPACE":             "",
		"quote\"":               "",
		strings.Repeat("A", 65): "",
	} {
		if got := normalizeCode(in); got != want {
			t.Errorf("normalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseAnswerErrorsQuoteNothing(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"result":{"resultStatus":"S"},"x":"` + rawName,
		`{"result":` + rawName + `}`,
		`<html>` + rawName,
		`{"` + rawName + `"}`,
		`{"result":{}} ` + rawName,
	} {
		_, err := parseAnswer([]byte(body))
		if err == nil {
			t.Errorf("%q accepted", body)
			continue
		}
		if strings.Contains(err.Error(), "RAW") || strings.Contains(err.Error(), "html") {
			t.Errorf("error quotes the body: %v", err)
		}
	}
}
