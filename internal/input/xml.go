package input

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// CheckXML scans an XML document before it is decoded: it refuses document type declarations
// (entity expansion is the classic XML bomb) and nesting deeper than maxDepth.
func CheckXML(file string, data []byte, maxDepth int) error {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return XMLError(file, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; depth > maxDepth {
				line, col := d.InputPos()
				return &Error{File: file, Line: line, Column: col, Rule: "depth limit",
					Err: fmt.Errorf("elements nest deeper than %d levels", maxDepth)}
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			if bytes.Contains(t, []byte("DOCTYPE")) || bytes.Contains(t, []byte("ENTITY")) {
				line, col := d.InputPos()
				return &Error{File: file, Line: line, Column: col, Rule: "no DTD",
					Err: errors.New("document type declarations are refused; remove the <!DOCTYPE ...> declaration")}
			}
		}
	}
}

// XMLError positions an encoding/xml error.
func XMLError(file string, err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &Error{File: file, Line: se.Line, Rule: "XML syntax", Err: errors.New(se.Msg)}
	}
	return &Error{File: file, Rule: "XML", Err: err}
}
