package dashboard

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kycpoller/kycpoller/internal/tasks"
)

// FormatPayload is what the dashboard shows of a task payload: for
// kycpoller's own task types, only the reference fields, re-encoded from a
// decoded payload so that any other field a payload might carry is
// dropped; for any other type, its type and size, never its bytes.
func FormatPayload(taskType string, payload []byte) string {
	switch taskType {
	case tasks.TypePoll:
		var p tasks.PollPayload
		if json.Unmarshal(payload, &p) != nil {
			return undecodable(taskType, payload)
		}
		return encode(pollView{
			Provider:   p.Provider,
			ID:         p.ID,
			BizID:      p.BizID,
			Sink:       p.Sink,
			EnqueuedAt: enqueuedAt(p),
		})
	case tasks.TypeDeliver:
		var p tasks.DeliverPayload
		if json.Unmarshal(payload, &p) != nil {
			return undecodable(taskType, payload)
		}
		return encode(deliverView{
			EventID:        p.EventID,
			Sink:           p.Sink,
			Provider:       p.Provider,
			VerificationID: p.VerificationID,
		})
	default:
		return fmt.Sprintf("%s payload, %d bytes (not shown)", taskType, len(payload))
	}
}

// FormatResult is what the dashboard shows of a task result. kycpoller
// writes none; should one appear, only its size is shown. asynqmon does not
// pass the task type to result formatters.
func FormatResult(_ string, result []byte) string {
	if len(result) == 0 {
		return ""
	}
	return fmt.Sprintf("%d bytes (not shown)", len(result))
}

type pollView struct {
	Provider   string `json:"provider"`
	ID         string `json:"id"`
	BizID      string `json:"biz_id,omitempty"`
	Sink       string `json:"sink"`
	EnqueuedAt string `json:"enqueued_at,omitempty"`
}

type deliverView struct {
	EventID        string `json:"event_id"`
	Sink           string `json:"sink"`
	Provider       string `json:"provider,omitempty"`
	VerificationID string `json:"verification_id,omitempty"`
}

func enqueuedAt(p tasks.PollPayload) string {
	if p.EnqueuedAtMS <= 0 {
		return ""
	}
	return p.EnqueuedAt().Format(time.RFC3339Nano)
}

func encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "(not shown)"
	}
	return string(b)
}

func undecodable(taskType string, payload []byte) string {
	return fmt.Sprintf("%s payload, %d bytes, not decodable (not shown)", taskType, len(payload))
}
