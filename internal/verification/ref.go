package verification

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Provider names accepted on the enqueue side.
const (
	ProviderAdvance = "advance"
	ProviderZoloz   = "zoloz"
)

// Length limits for references, in bytes.
const (
	MaxIDBytes    = 64
	MaxBizIDBytes = 32
)

// Ref identifies one verification at one provider. It is what onboarding back
// ends hand us and what poll task payloads carry: references only, never
// personal data.
type Ref struct {
	Provider string `json:"provider"`
	ID       string `json:"id"`
	BizID    string `json:"biz_id,omitempty"`
}

// String returns "provider/id", the form used in task names and messages.
func (r Ref) String() string { return r.Provider + "/" + r.ID }

// FieldError is a validation error that names the offending field, so that the
// CLI, the HTTP API and bulk files can all point at what is wrong.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Validate checks a reference against the rules shared by every enqueue path.
// known reports whether a provider is configured; a nil known accepts any of
// the providers this build supports. The returned error joins one FieldError
// per problem.
func (r Ref) Validate(known func(provider string) bool) error {
	var errs []error
	switch {
	case r.Provider == "":
		errs = append(errs, &FieldError{"provider", "is required"})
	case r.Provider != ProviderAdvance && r.Provider != ProviderZoloz:
		errs = append(errs, &FieldError{"provider", fmt.Sprintf("unknown provider %q (want %q or %q)", truncate(r.Provider), ProviderAdvance, ProviderZoloz)})
	case known != nil && !known(r.Provider):
		errs = append(errs, &FieldError{"provider", fmt.Sprintf("provider %q is not configured", r.Provider)})
	}
	if err := checkToken("id", r.ID, MaxIDBytes); err != nil {
		errs = append(errs, err)
	}
	switch r.Provider {
	case ProviderZoloz:
		if err := checkToken("biz_id", r.BizID, MaxBizIDBytes); err != nil {
			errs = append(errs, err)
		}
	default:
		if r.BizID != "" {
			errs = append(errs, &FieldError{"biz_id", fmt.Sprintf("is only accepted for provider %q", ProviderZoloz)})
		}
	}
	return errors.Join(errs...)
}

// checkToken enforces the shape of provider references: non-empty, at most
// max bytes, valid UTF-8 and printable (no spaces or control characters).
func checkToken(field, v string, max int) error {
	switch {
	case v == "":
		return &FieldError{field, "is required"}
	case len(v) > max:
		return &FieldError{field, fmt.Sprintf("is %d bytes, at most %d allowed", len(v), max)}
	case !utf8.ValidString(v):
		return &FieldError{field, "is not valid UTF-8"}
	}
	for _, c := range v {
		if !unicode.IsPrint(c) || unicode.IsSpace(c) {
			return &FieldError{field, fmt.Sprintf("contains a non-printable or space character (%U)", c)}
		}
	}
	return nil
}

// truncate keeps error messages short when echoing user input back.
func truncate(s string) string {
	const max = 32
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
