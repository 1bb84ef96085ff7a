package app

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// maxNameLen bounds product names and release versions, in bytes.
const maxNameLen = 256

// CheckName refuses a product name or release version that is empty, too long, not UTF-8 or
// holds control characters (line breaks included): such names break e-mail subjects, CSAF
// documents and the lines of signed statements that carry them.
func CheckName(field, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%s is required", field)
	case len(v) > maxNameLen:
		return fmt.Errorf("%s is %d bytes long; the limit is %d", field, len(v), maxNameLen)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	for i, c := range v {
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' {
			return fmt.Errorf("%s holds the control character %s at byte %d; use printable characters only", field, strconv.QuoteRune(c), i)
		}
	}
	return nil
}
