// Package input reads untrusted bytes safely: bounded in size and nesting depth, and reporting
// every problem as an *Error that names the file, the position and the rule broken.
package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
)

// Default limits for documents Siegel reads. They are generous for real inventories (a
// 50,000-component SBOM is about 30 MB) and small enough that a hostile file cannot exhaust memory.
const (
	DefaultMaxBytes = 512 << 20 // 512 MiB
	DefaultMaxDepth = 128
)

// Limits bound what a parser accepts.
type Limits struct {
	MaxBytes int64 // largest input accepted, in bytes
	MaxDepth int   // deepest nesting of objects/arrays/elements accepted
}

// DefaultLimits returns the limits used when the caller sets none.
func DefaultLimits() Limits { return Limits{MaxBytes: DefaultMaxBytes, MaxDepth: DefaultMaxDepth} }

// orDefault fills zero fields with defaults.
func (l Limits) orDefault() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// Error is a problem found in an input. It prints as one line:
//
//	FILE:LINE:COL: RULE: DETAIL
//
// with the position parts present only when known. Pointer is a JSON pointer (RFC 6901) for
// problems found after parsing, where no line is known.
type Error struct {
	File    string // name of the input as the user gave it
	Line    int    // 1-based; 0 when unknown
	Column  int    // 1-based; 0 when unknown
	Pointer string // JSON pointer or element path; "" when unknown
	Rule    string // short name of the rule broken, such as "syntax", "size limit", "schema"
	Err     error  // detail
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("<input>")
	}
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Column))
		}
	}
	if e.Pointer != "" {
		b.WriteString(": at ")
		b.WriteString(e.Pointer)
	}
	b.WriteString(": ")
	if e.Rule != "" {
		b.WriteString(e.Rule)
		b.WriteString(": ")
	}
	if e.Err != nil {
		// Keep the message on one line whatever the underlying error says.
		b.WriteString(strings.ReplaceAll(e.Err.Error(), "\n", " "))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error for file with the given rule and formatted detail.
func Errorf(file, rule, format string, args ...any) *Error {
	return &Error{File: file, Rule: rule, Err: fmt.Errorf(format, args...)}
}

// ErrTooLarge is wrapped by errors for inputs over the size limit.
var ErrTooLarge = errors.New("input exceeds the size limit")

// ReadAll reads all of r, refusing more than limits.MaxBytes. name is used in errors.
func ReadAll(name string, r io.Reader, limits Limits) ([]byte, error) {
	limits = limits.orDefault()
	// A file knows its size: read it into one allocation of exactly that size instead of a
	// doubling buffer, which for inputs of tens of megabytes costs more than the read itself.
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if info, err := st.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > 0 && info.Size() <= limits.MaxBytes {
			data := make([]byte, info.Size())
			n, err := io.ReadFull(r, data)
			if err == nil {
				// The file may have grown since Stat: anything beyond is read the slow way.
				var extra [1]byte
				if m, _ := r.Read(extra[:]); m == 0 {
					return data, nil
				}
				rest, err := ReadAll(name, io.MultiReader(bytes.NewReader(data), bytes.NewReader(extra[:1]), r), limits)
				return rest, err
			}
			if err != io.ErrUnexpectedEOF {
				return nil, &Error{File: name, Rule: "read", Err: err}
			}
			return data[:n], nil // the file shrank since Stat
		}
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, limits.MaxBytes+1))
	if err != nil {
		return nil, &Error{File: name, Rule: "read", Err: err}
	}
	if n > limits.MaxBytes {
		return nil, &Error{File: name, Rule: "size limit",
			Err: fmt.Errorf("%w of %d bytes; split the input or raise the limit", ErrTooLarge, limits.MaxBytes)}
	}
	return buf.Bytes(), nil
}

// LineCol converts a byte offset in data to a 1-based line and column (columns count bytes).
func LineCol(data []byte, offset int64) (line, col int) {
	if offset < 0 {
		offset = 0
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	head := data[:offset]
	line = bytes.Count(head, []byte{'\n'}) + 1
	col = int(offset) - (bytes.LastIndexByte(head, '\n') + 1) + 1
	return line, col
}

// At returns an *Error positioned at the byte offset in data.
func At(file string, data []byte, offset int64, rule string, err error) *Error {
	line, col := LineCol(data, offset)
	return &Error{File: file, Line: line, Column: col, Rule: rule, Err: err}
}

// LooksBinary reports whether data looks like binary rather than text: a NUL byte or a high share
// of control bytes within the first few kilobytes.
func LooksBinary(data []byte) bool {
	head := data
	if len(head) > 8192 {
		head = head[:8192]
	}
	ctrl := 0
	for _, c := range head {
		switch {
		case c == 0:
			return true
		case c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f':
			ctrl++
		}
	}
	return len(head) > 0 && ctrl*10 > len(head)
}
