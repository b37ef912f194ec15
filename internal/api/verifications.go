package api

import (
	"errors"
	"net/http"
	"net/url"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// enqueueRequest is the body of POST /v1/verifications.
type enqueueRequest struct {
	Provider string `json:"provider"`
	ID       string `json:"id"`
	BizID    string `json:"biz_id"`
	Sink     string `json:"sink"`
}

// EnqueueResponse is the body of a 202 answer to POST /v1/verifications.
type EnqueueResponse struct {
	TaskID string        `json:"task_id"`
	State  tasks.Outcome `json:"state"`
}

// NudgeResponse is the body of a 202 answer to a nudge.
type NudgeResponse struct {
	Result tasks.Nudged `json:"result"`
}

func (s *Server) enqueue(w http.ResponseWriter, r *http.Request) {
	var req enqueueRequest
	if err := decodeBody(w, r, &req, true); err != nil {
		writeDecodeError(w, err)
		return
	}
	tr := tasks.Request{Ref: verification.Ref{Provider: req.Provider, ID: req.ID, BizID: req.BizID}, Sink: req.Sink}
	out, err := s.opts.Enqueuer.Enqueue(r.Context(), tr)
	if err != nil {
		s.writeFailure(w, "enqueue", err)
		return
	}
	s.log.Info("verification enqueued", zap.String("provider", req.Provider), zap.String("verification_id", req.ID),
		zap.String("outcome", string(out)), zap.String("source", "api"))
	w.Header().Set("Location", "/v1/verifications/"+url.PathEscape(req.Provider)+"/"+url.PathEscape(req.ID))
	writeJSON(w, http.StatusAccepted, EnqueueResponse{TaskID: tasks.PollTaskID(req.Provider, req.ID), State: out})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.opts.Controller.Status(r.Context(), r.PathValue("provider"), r.PathValue("id"))
	if err != nil {
		s.writeFailure(w, "status", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.Controller.Cancel(r.Context(), r.PathValue("provider"), r.PathValue("id")); err != nil {
		s.writeFailure(w, "cancel", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) nudge(w http.ResponseWriter, r *http.Request) {
	res, err := s.opts.Controller.Nudge(r.Context(), r.PathValue("provider"), r.PathValue("id"))
	if err != nil {
		s.writeFailure(w, "nudge", err)
		return
	}
	writeJSON(w, http.StatusAccepted, NudgeResponse{Result: res})
}

// writeFailure maps an enqueue or controller error onto its answer: 400
// naming the fields, 404, 409, or 503 for anything else (Redis trouble;
// retrying is safe).
func (s *Server) writeFailure(w http.ResponseWriter, op string, err error) {
	if fields, ok := fieldErrors(err); ok {
		writeError(w, http.StatusBadRequest, "invalid request", fields)
		return
	}
	switch {
	case errors.Is(err, tasks.ErrNotFound):
		writeError(w, http.StatusNotFound, tasks.ErrNotFound.Error(), nil)
	case errors.Is(err, tasks.ErrFinal):
		writeError(w, http.StatusConflict, tasks.ErrFinal.Error(), nil)
	case errors.Is(err, tasks.ErrPollRunning):
		writeError(w, http.StatusConflict, tasks.ErrPollRunning.Error(), nil)
	default:
		s.log.Error("api request failed", zap.String("op", op), zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "temporarily unavailable; retrying is safe", nil)
	}
}
