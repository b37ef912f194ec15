// Package tasks defines kycpoller's asynq tasks: their types, payloads and
// ids, the constructors the enqueue side uses, and the handlers the worker
// runs.
//
// Two task types, each in its own queue:
//
//   - poll (TypePoll): one per verification, id "poll:{provider}:{id}". It asks
//     the provider for the result; while the result is not final it asks asynq
//     to run it again later through a retry that is not counted as a failure,
//     so a waiting verification holds no worker slot and never shows up in the
//     failed statistics. When the result is final it stores the event and
//     enqueues a delivery.
//   - deliver (TypeDeliver): one per (sink, event), id
//     "deliver:{sink}:{event id}". It sends the stored event to its sink and is
//     retried on the sink's schedule; a failing sink never causes another
//     provider call.
//
// Payloads carry references and timestamps only, never personal data: they
// are shown in the dashboard.
package tasks

// Task types.
const (
	TypePoll    = "kyc:poll"
	TypeDeliver = "kyc:deliver"
)

// PollTaskID is the task id of ref's poll task. Deriving it from the
// reference is what makes a second enqueue of the same reference a duplicate.
func PollTaskID(provider, id string) string { return "poll:" + provider + ":" + id }

// DeliverTaskID is the task id of an event's delivery to one sink.
func DeliverTaskID(sink, eventID string) string { return "deliver:" + sink + ":" + eventID }
