package caller

import (
	"errors"
	"net/http"

	"github.com/siegel-oss/siegel/internal/store"
)

// The API and the pages answer a request their sender must change in the same words: the API
// as {"error": message, "code": status}, a page by showing the message on the form it came
// from, with the values entered. Both read it from Mistake, so one check gives one answer
// whichever door the request came through.

// validationError is a request its sender must change; its message says what to give or do.
type validationError struct {
	status int // 400, or 409 for a conflict with what is stored
	err    error
}

func (e *validationError) Error() string { return e.err.Error() }
func (e *validationError) Unwrap() error { return e.err }

// Invalid marks err as the sender's to fix (400); nil stays nil.
func Invalid(err error) error {
	if err == nil {
		return nil
	}
	return &validationError{status: http.StatusBadRequest, err: err}
}

// Conflicting marks err as a conflict with what is stored that the sender resolves (409); nil
// stays nil.
func Conflicting(err error) error {
	if err == nil {
		return nil
	}
	return &validationError{status: http.StatusConflict, err: err}
}

// Mistake finds the sender's mistake in err, with the status both doors answer it with: an
// error Invalid or Conflicting marked, or a store error about the input (400) or about what is
// stored (409). ok is false for anything else: not found, or a fault of the server.
func Mistake(err error) (status int, msg string, ok bool) {
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

// IsMistake reports whether err is the sender's to fix (not a fault of the server).
func IsMistake(err error) bool {
	_, _, ok := Mistake(err)
	return ok
}
