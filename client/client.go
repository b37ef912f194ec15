// Package client lets Go onboarding services hand verification references
// to kycpoller and follow them: Enqueue, Status, Cancel and Nudge. It talks
// to kycpoller's Redis directly, with the same validation and task
// construction as the enqueue command and the HTTP API, so the three accept
// and reject exactly the same input.
//
// The client reads the worker's configuration file (for the Redis
// connection, the queue names, the configured providers and sinks) but needs
// no provider credentials: ${VAR} references it cannot resolve are left
// empty.
//
// Results are not returned here: kycpoller delivers them to the configured
// sink. Status reports where a verification stands, without personal data.
package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/redisconn"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Request asks for one verification to be polled and its result delivered.
type Request struct {
	// Provider is "advance" or "zoloz".
	Provider string
	// ID is the provider's reference: ADVANCE.AI's signatureId, ZOLOZ's
	// transactionId. At most 64 bytes, printable, without spaces.
	ID string
	// BizID is ZOLOZ's bizId (required for zoloz, refused otherwise).
	BizID string
	// Sink names the configured sink to deliver to; "" is default_sink.
	Sink string
}

// Outcome is the result of an Enqueue: Queued or Duplicate.
type Outcome = tasks.Outcome

// Enqueue outcomes. A duplicate is a success: the reference is already
// being polled, or completed within the worker's retention window.
const (
	Queued    = tasks.Queued
	Duplicate = tasks.Duplicate
)

// Status describes where a verification stands: references, counts, times
// and the final status; never personal data.
type Status = tasks.Status

// State is a verification's state in a Status.
type State = tasks.State

// Verification states.
const (
	StateWaiting   = tasks.StateWaiting
	StatePolling   = tasks.StatePolling
	StateFinal     = tasks.StateFinal
	StateDelivered = tasks.StateDelivered
	StateDead      = tasks.StateDead
)

// Nudged says what a Nudge did: NudgedNow or NudgedAlreadyDue.
type Nudged = tasks.Nudged

// Nudge outcomes.
const (
	NudgedNow        = tasks.NudgedNow
	NudgedAlreadyDue = tasks.NudgedAlreadyDue
)

// FieldError is one invalid field of a request. Validation errors join one
// *FieldError per problem: find them with errors.As.
type FieldError = verification.FieldError

// Errors of Status, Cancel and Nudge; compare with errors.Is.
var (
	ErrNotFound    = tasks.ErrNotFound
	ErrFinal       = tasks.ErrFinal
	ErrPollRunning = tasks.ErrPollRunning
)

// Client enqueues and follows verifications. It is safe for concurrent use.
type Client struct {
	rdb     redis.UniversalClient
	ownsRDB bool
	enq     *tasks.Enqueuer
	ctl     *tasks.Controller
}

// Open reads the configuration file at configPath (the worker's file) and
// connects to its Redis. Close the client when done.
func Open(configPath string) (*Client, error) {
	cfg, err := config.LoadForEnqueue(configPath)
	if err != nil {
		return nil, fmt.Errorf("kycpoller client: configuration %s: %w", configPath, err)
	}
	c := newClient(redisconn.Open(cfg.Redis, 10), cfg)
	c.ownsRDB = true
	return c, nil
}

// NewWithRedis reads the configuration file at configPath and uses rdb, which
// must be connected to the worker's Redis, instead of opening a connection.
// Close does not close rdb.
func NewWithRedis(rdb redis.UniversalClient, configPath string) (*Client, error) {
	if rdb == nil {
		return nil, errors.New("kycpoller client: nil Redis client")
	}
	cfg, err := config.LoadForEnqueue(configPath)
	if err != nil {
		return nil, fmt.Errorf("kycpoller client: configuration %s: %w", configPath, err)
	}
	return newClient(rdb, cfg), nil
}

func newClient(rdb redis.UniversalClient, cfg *config.Config) *Client {
	return &Client{rdb: rdb, enq: tasks.NewEnqueuer(rdb, cfg), ctl: tasks.NewController(rdb, cfg)}
}

// Close releases the Redis connection opened by Open.
func (c *Client) Close() error {
	if c.ownsRDB {
		return c.rdb.Close()
	}
	return nil
}

func (r Request) task() tasks.Request {
	return tasks.Request{Ref: verification.Ref{Provider: r.Provider, ID: r.ID, BizID: r.BizID}, Sink: r.Sink}
}

// Validate checks r without enqueueing it. The error joins one *FieldError
// per problem.
func (c *Client) Validate(r Request) error {
	_, err := c.enq.Normalize(r.task())
	return err
}

// Enqueue validates r and starts polling it. An invalid request returns
// *FieldError values and enqueues nothing; any other error is Redis trouble,
// and enqueueing the same request again is safe.
func (c *Client) Enqueue(ctx context.Context, r Request) (Outcome, error) {
	return c.enq.Enqueue(ctx, r.task())
}

// Status returns where the verification (provider, id) stands; an unknown
// one returns an error wrapping ErrNotFound.
func (c *Client) Status(ctx context.Context, provider, id string) (Status, error) {
	return c.ctl.Status(ctx, provider, id)
}

// Cancel stops polling the verification: it is not polled again and no
// event is produced. A verification with a final result is left alone
// (ErrFinal); a poll running right now cannot be cancelled (ErrPollRunning,
// try again).
func (c *Client) Cancel(ctx context.Context, provider, id string) error {
	return c.ctl.Cancel(ctx, provider, id)
}

// Nudge makes the verification's next poll happen now, for when your page
// tells your server the user finished. The result still comes from the
// provider and is delivered to the sink.
func (c *Client) Nudge(ctx context.Context, provider, id string) (Nudged, error) {
	return c.ctl.Nudge(ctx, provider, id)
}
