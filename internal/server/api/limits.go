package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/server/caller"
)

// upload wraps an API upload handler with acquireUpload.
func (s *API) upload(h func(http.ResponseWriter, *http.Request, caller.Principal)) func(http.ResponseWriter, *http.Request, caller.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p caller.Principal) {
		release, ok := s.AcquireUpload(w, r)
		if !ok {
			return
		}
		defer release()
		h(w, r, p)
	}
}

// readBody reads an upload of at most max bytes. It returns the status to answer with when the
// read fails: 413 for a body over the limit, 400 for one that ended before its announced length
// or could not be read.
func readBody(w http.ResponseWriter, r *http.Request, name string, max int64) ([]byte, int, error) {
	if r.ContentLength > max {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("%s: %d bytes, larger than the limit of %d bytes; split it or ask the administrator to raise --max-upload", name, r.ContentLength, max)
	}
	var data []byte
	var err error
	if r.ContentLength > 0 {
		// The announced length, read into one buffer of that size: a growing buffer would hold
		// up to twice the body while it copies. net/http ends the body at that length.
		data = make([]byte, r.ContentLength)
		var n int
		n, err = io.ReadFull(r.Body, data)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			data = data[:n]
		}
	} else {
		data, err = input.ReadAll(name, http.MaxBytesReader(w, r.Body, max+1), input.Limits{MaxBytes: max})
	}
	if err == nil {
		return data, 0, nil
	}
	var mbe *http.MaxBytesError
	if errors.Is(err, input.ErrTooLarge) || errors.As(err, &mbe) {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("%s: larger than the limit of %d bytes; split it or ask the administrator to raise --max-upload", name, max)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, http.StatusBadRequest, fmt.Errorf("%s: the body ended before the %d bytes its Content-Length announced; send it again", name, r.ContentLength)
	}
	return nil, http.StatusBadRequest, fmt.Errorf("%s: the body could not be read (%v); send it again", name, err)
}

// consistencyRequest says what is wrong with a request for a consistency proof between the trees
// of from and to entries ("" when nothing is). RFC 9162 (section 2.1.4) defines the proof for
// 0 < from <= to only: every tree is consistent with the empty one, so there is nothing to prove.
func consistencyRequest(from, to int64) string {
	switch {
	case from < 1:
		return "from must be at least 1: a consistency proof starts from a tree with entries (RFC 9162, 2.1.4); every log extends the empty one"
	case from > to:
		return fmt.Sprintf("from (%d) must not exceed to (%d): a proof shows that the larger tree extends the smaller", from, to)
	}
	return ""
}
