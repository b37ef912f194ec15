// Package verification holds the domain types every part of kycpoller shares:
// the reference an onboarding back end hands us (Ref), the normalised outcome
// of a provider check (Result, Status) and the error classes a provider
// client reports (TransientError, ConfigError).
//
// Nothing here talks to Redis, asynq or a provider; it is the vocabulary the
// other packages use to talk to each other.
package verification
