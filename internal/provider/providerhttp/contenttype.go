package providerhttp

import (
	"fmt"
	"mime"
	"strings"

	"github.com/kycpoller/kycpoller/internal/verification"
)

// CheckContentType accepts JSON media types, and a missing header (the body
// must then still parse as JSON).
func CheckContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	if err != nil || len(mt) > 64 {
		mt = "unparsable"
	}
	return &verification.TransientError{Code: "content_type", Err: fmt.Errorf("unexpected content type %q", mt)}
}
