// Package httpjson is how every JSON endpoint of the server speaks: bodies written indented with
// their status, one error shape ({"error": message, "code": status}), request bodies read as JSON
// only, within a size limit and without unknown fields, and numeric path values.
package httpjson

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// MaxBody bounds a JSON request body.
const MaxBody = 1 << 20

// ErrorBody is the body of every error a JSON endpoint answers.
type ErrorBody struct {
	Error string `json:"error"`
	Code  int    `json:"code"`
}

// Write writes v as JSON with status.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// Error writes an error with status; msg says what to do, and never holds internal detail.
func Error(w http.ResponseWriter, status int, msg string) {
	Write(w, status, ErrorBody{Error: msg, Code: status})
}

// Decode reads the request's JSON body into v; on failure it has answered (415 for another
// media type, 400 for a body that is not JSON, too large or with unknown fields) and reports
// false.
func Decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		Error(w, http.StatusUnsupportedMediaType, "send application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		Error(w, http.StatusBadRequest, fmt.Sprintf("invalid JSON body: %v", err))
		return false
	}
	return true
}

// PathID parses the numeric path value name; on failure it has answered 404 and reports false.
func PathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		Error(w, http.StatusNotFound, "not found")
		return 0, false
	}
	return id, true
}
