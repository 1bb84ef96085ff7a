package input

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// JSONError positions an encoding/json error in data: syntax errors and type mismatches get a
// line and column (and, for mismatches, the JSON pointer of the field).
func JSONError(name string, data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return At(name, data, se.Offset, "JSON syntax", err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "value"
		}
		e := At(name, data, te.Offset, "schema", fmt.Errorf("%s: got JSON %s, want %s", field, te.Value, te.Type))
		if te.Field != "" {
			e.Pointer = "/" + strings.ReplaceAll(te.Field, ".", "/")
		}
		return e
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return At(name, data, int64(len(data)), "JSON syntax", errors.New("unexpected end of input"))
	}
	return &Error{File: name, Rule: "schema", Err: err}
}
