package tasks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/kycpoller/kycpoller/internal/verification"
)

// PollPayload is the payload of a poll task.
type PollPayload struct {
	Provider string `json:"provider"`
	ID       string `json:"id"`
	BizID    string `json:"biz_id,omitempty"`
	Sink     string `json:"sink"`
	// EnqueuedAtMS is when the verification was enqueued, in Unix
	// milliseconds: the origin of its schedule and deadline.
	EnqueuedAtMS int64 `json:"enqueued_at_ms"`
}

// Ref returns the verification reference.
func (p PollPayload) Ref() verification.Ref {
	return verification.Ref{Provider: p.Provider, ID: p.ID, BizID: p.BizID}
}

// EnqueuedAt returns the enqueue time.
func (p PollPayload) EnqueuedAt() time.Time { return time.UnixMilli(p.EnqueuedAtMS).UTC() }

// DeliverPayload is the payload of a delivery task.
type DeliverPayload struct {
	EventID        string `json:"event_id"`
	Sink           string `json:"sink"`
	Provider       string `json:"provider"`
	VerificationID string `json:"verification_id"`
}

// decode unmarshals a payload strictly. A payload that does not decode is
// poison: retrying cannot help, so the error skips retries and the task is
// archived where an operator can see it.
func decode(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("decode %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return nil
}
