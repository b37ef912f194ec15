// Package event defines the completion event kycpoller delivers to sinks: its
// JSON shape (a public interface) and its id, which stays the same across
// delivery attempts, replays and crash recovery so that receivers can
// de-duplicate an at-least-once stream.
package event

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"time"

	"github.com/kycpoller/kycpoller/internal/verification"
)

// TypeCompleted is the event type of a verification that reached a final
// status.
const TypeCompleted = "verification.completed"

// Event is the completion event. Its JSON encoding is the webhook body:
//
//	{"type":"verification.completed","timestamp":"...","data":{...}}
//
// ID is not part of the body; sinks carry it in their own id field
// (webhook-id, Nats-Msg-Id, ...).
type Event struct {
	ID        string    `json:"-"`
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// Data is the body of a completion event.
type Data struct {
	Provider       string              `json:"provider"`
	VerificationID string              `json:"verification_id"`
	BizID          string              `json:"biz_id,omitempty"`
	Status         verification.Status `json:"status"`
	ProviderStatus string              `json:"provider_status"`
	ErrorCode      string              `json:"error_code"`
	Polls          int                 `json:"polls"`
	EnqueuedAt     time.Time           `json:"enqueued_at"`
	CompletedAt    time.Time           `json:"completed_at"`
	// Result is the provider's result object as received (ADVANCE.AI's
	// "data"), or JSON null when there is none (TIMEOUT, NOT_FOUND).
	Result json.RawMessage `json:"result"`
}

// New builds the completion event for a final result.
func New(ref verification.Ref, res verification.Result, polls int, enqueuedAt, completedAt time.Time) *Event {
	result := res.Data
	if len(result) == 0 {
		result = json.RawMessage("null")
	}
	completedAt = completedAt.UTC().Truncate(time.Millisecond)
	return &Event{
		ID:        ID(ref, res.Status),
		Type:      TypeCompleted,
		Timestamp: completedAt,
		Data: Data{
			Provider:       ref.Provider,
			VerificationID: ref.ID,
			BizID:          ref.BizID,
			Status:         res.Status,
			ProviderStatus: res.ProviderStatus,
			ErrorCode:      res.ErrorCode,
			Polls:          polls,
			EnqueuedAt:     enqueuedAt.UTC().Truncate(time.Millisecond),
			CompletedAt:    completedAt,
			Result:         result,
		},
	}
}

// ID derives the event id of a verification's final status:
// "evt_" followed by 26 base32 characters of a SHA-256 over the provider,
// the verification id and the status.
//
// The same (provider, id, status) always gives the same id, whichever worker
// computes it and however often, so retries, replays and a poll re-run after a
// crash all carry one id. Including the status means a verification that first
// ended as TIMEOUT and is later enqueued again and passes gets a new id, so a
// receiver that de-duplicates does not drop the later, real outcome.
func ID(ref verification.Ref, status verification.Status) string {
	h := sha256.New()
	for _, part := range []string{"kycpoller.event.v1", ref.Provider, ref.ID, string(status)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	return "evt_" + lowerBase32.EncodeToString(sum[:16])[:26]
}

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Ref returns the verification reference the event is about.
func (e *Event) Ref() verification.Ref {
	return verification.Ref{Provider: e.Data.Provider, ID: e.Data.VerificationID, BizID: e.Data.BizID}
}
