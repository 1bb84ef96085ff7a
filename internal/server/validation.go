package server

import (
	"errors"
	"net/http"

	"github.com/siegel-oss/siegel/internal/store"
)

// The API and the pages answer a request their sender must change in the same words: the API
// as {"error": message, "code": status}, a page by showing the message on the form it came
// from, with the values entered. Both read it from callerError, so one check gives one answer
// whichever door the request came through.

// validationError is a request its sender must change; its message says what to give or do.
type validationError struct {
	status int // 400, or 409 for a conflict with what is stored
	err    error
}

func (e *validationError) Error() string { return e.err.Error() }
func (e *validationError) Unwrap() error { return e.err }

// invalid marks err as the sender's to fix (400); nil stays nil.
func invalid(err error) error {
	if err == nil {
		return nil
	}
	return &validationError{status: http.StatusBadRequest, err: err}
}

// conflicting marks err as a conflict with what is stored that the sender resolves (409).
func conflicting(err error) error {
	if err == nil {
		return nil
	}
	return &validationError{status: http.StatusConflict, err: err}
}

// callerError finds the sender's mistake in err, with the status both doors answer it with:
// a validationError, or a store error about the input (400) or about what is stored (409).
// ok is false for anything else: not found, or a fault of the server.
func callerError(err error) (status int, msg string, ok bool) {
	var ve *validationError
	switch {
	case errors.As(err, &ve):
		return ve.status, err.Error(), true
	case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrNoReason), errors.Is(err, store.ErrLastAdmin),
		errors.Is(err, store.ErrInvitation), errors.Is(err, store.ErrBadCode):
		return http.StatusBadRequest, err.Error(), true
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrHasEvidence):
		return http.StatusConflict, err.Error(), true
	}
	return 0, "", false
}

// isInputError reports whether err is the sender's to fix (not a fault of the server).
func isInputError(err error) bool {
	_, _, ok := callerError(err)
	return ok
}

// answer is the API's answer to an error: the sender's mistake with its status and message,
// anything else through fail (404, or 500 without internals).
func (s *Server) answer(w http.ResponseWriter, r *http.Request, err error) {
	if status, msg, ok := callerError(err); ok {
		writeError(w, status, msg)
		return
	}
	s.fail(w, r, err)
}

// showError is a page's answer to an error: show renders the form again with the sender's
// mistake and its status; a missing thing is 404, anything else a failure.
func (s *Server) showError(w http.ResponseWriter, r *http.Request, err error, show func(status int, msg string)) {
	if status, msg, ok := callerError(err); ok {
		show(status, msg)
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	s.fail(w, r, err)
}
