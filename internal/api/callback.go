package api

import (
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/httpauth"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Callback outcomes, the values of the "outcome" label of
// kycpoller_callbacks_total.
const (
	CallbackNudged       = "nudged"       // the verification's poll runs now
	CallbackAlreadyDue   = "already_due"  // its poll was due or running anyway
	CallbackFinal        = "final"        // it already has a final result
	CallbackUnknown      = "unknown"      // no such verification here
	CallbackIgnored      = "ignored"      // a callback type that says nothing about the result
	CallbackInvalid      = "invalid"      // a body that is not a callback
	CallbackUnauthorized = "unauthorized" // missing or wrong token
	CallbackError        = "error"        // Redis trouble; answered 503 so the provider retries
)

// advanceCallbackBody is ADVANCE.AI's callback body. Unknown fields are
// accepted: the provider may add some.
type advanceCallbackBody struct {
	SignatureID string `json:"signatureId"`
	Type        string `json:"type"`
}

// advanceCallback handles POST /callbacks/advance?token=...: it never takes
// the callback as the result, it only makes the verification's next poll
// happen now. Unknown ids are answered 200 (the provider would only retry)
// and counted.
func (s *Server) advanceCallback(token httpauth.Digest) http.HandlerFunc {
	const provider = verification.ProviderAdvance
	return func(w http.ResponseWriter, r *http.Request) {
		if !token.Equal(r.URL.Query().Get("token")) {
			s.metrics.CallbackReceived(provider, CallbackUnauthorized)
			writeError(w, http.StatusUnauthorized, "missing or invalid token", nil)
			return
		}
		var body advanceCallbackBody
		if err := decodeBody(w, r, &body, false); err != nil {
			s.metrics.CallbackReceived(provider, CallbackInvalid)
			writeDecodeError(w, err)
			return
		}
		if err := tasks.ValidateLookup(provider, body.SignatureID); err != nil {
			s.metrics.CallbackReceived(provider, CallbackInvalid)
			fields, _ := fieldErrors(err)
			for i := range fields {
				if fields[i].Field == "id" {
					fields[i].Field = "signatureId"
				}
			}
			writeError(w, http.StatusBadRequest, "invalid callback", fields)
			return
		}
		if body.Type != "COMPLETED" && body.Type != "SUBMIT_COMPLETED" {
			s.metrics.CallbackReceived(provider, CallbackIgnored)
			writeJSON(w, http.StatusOK, map[string]string{"result": CallbackIgnored})
			return
		}
		res, err := s.opts.Controller.Nudge(r.Context(), provider, body.SignatureID)
		outcome := CallbackNudged
		switch {
		case errors.Is(err, tasks.ErrNotFound):
			outcome = CallbackUnknown
		case errors.Is(err, tasks.ErrFinal):
			outcome = CallbackFinal
		case err != nil:
			s.metrics.CallbackReceived(provider, CallbackError)
			s.log.Error("callback nudge failed", zap.String("provider", provider), zap.String("verification_id", body.SignatureID), zap.Error(err))
			writeError(w, http.StatusServiceUnavailable, "temporarily unavailable; retry", nil)
			return
		case res == tasks.NudgedAlreadyDue:
			outcome = CallbackAlreadyDue
		}
		s.metrics.CallbackReceived(provider, outcome)
		s.log.Debug("callback", zap.String("provider", provider), zap.String("verification_id", body.SignatureID), zap.String("outcome", outcome))
		writeJSON(w, http.StatusOK, map[string]string{"result": outcome})
	}
}
