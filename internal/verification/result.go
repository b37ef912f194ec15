package verification

import "encoding/json"

// Status is the normalised final status of a verification, the same for every
// provider.
type Status string

// The final statuses a completion event can carry.
const (
	StatusPass       Status = "PASS"
	StatusFail       Status = "FAIL"
	StatusIncomplete Status = "INCOMPLETE"
	StatusCancelled  Status = "CANCELLED"
	StatusTimeout    Status = "TIMEOUT"
	StatusNotFound   Status = "NOT_FOUND"
)

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	switch s {
	case StatusPass, StatusFail, StatusIncomplete, StatusCancelled, StatusTimeout, StatusNotFound:
		return true
	}
	return false
}

// Result is what one provider check found.
//
// When Final is false the provider is still processing and the other fields
// are empty. When Final is true, Status is set, ProviderStatus keeps the
// provider's own value (for example "fail" or "VoidTimeout"), ErrorCode the
// provider's reason code if any, and Data the provider's result object as it
// was received (it may hold personal data: it goes to sinks and nowhere else).
type Result struct {
	Final          bool
	Status         Status
	ProviderStatus string
	ErrorCode      string
	Data           json.RawMessage
}
