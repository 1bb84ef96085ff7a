package input

import (
	"errors"
	"strings"
	"testing"
)

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"full", &Error{File: "a.json", Line: 3, Column: 7, Rule: "syntax", Err: errors.New("unexpected }")}, "a.json:3:7: syntax: unexpected }"},
		{"pointer", &Error{File: "b.json", Pointer: "/components/2/purl", Rule: "purl", Err: errors.New("bad")}, "b.json: at /components/2/purl: purl: bad"},
		{"no file", &Error{Line: 1, Rule: "format", Err: errors.New("x")}, "<input>:1: format: x"},
		{"one line", &Error{File: "c", Rule: "r", Err: errors.New("two\nlines")}, "c: r: two lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadAllLimit(t *testing.T) {
	_, err := ReadAll("big.json", strings.NewReader(strings.Repeat("x", 101)), Limits{MaxBytes: 100})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if !strings.HasPrefix(err.Error(), "big.json: size limit: ") {
		t.Errorf("message %q does not name the file and rule", err)
	}
	data, err := ReadAll("ok.json", strings.NewReader(strings.Repeat("x", 100)), Limits{MaxBytes: 100})
	if err != nil || len(data) != 100 {
		t.Fatalf("ReadAll at the limit: %d bytes, %v", len(data), err)
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncde\n\nf")
	tests := []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {1, 1, 2}, {3, 2, 1}, {5, 2, 3}, {7, 3, 1}, {8, 4, 1}, {99, 4, 2}, {-1, 1, 1}}
	for _, tt := range tests {
		l, c := LineCol(data, tt.off)
		if l != tt.line || c != tt.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", tt.off, l, c, tt.line, tt.col)
		}
	}
}

func TestCheckJSONDepth(t *testing.T) {
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	err := CheckJSONDepth("deep.json", []byte(deep), 128)
	var ie *Error
	if !errors.As(err, &ie) || ie.Rule != "depth limit" || ie.Line != 1 || ie.Column != 129 {
		t.Fatalf("err = %v, want depth limit at 1:129", err)
	}
	// Brackets inside strings, and escaped quotes, do not count.
	ok := `{"a": "[[[[[[[[[[\"[[[[[", "b": [[1]]}`
	if err := CheckJSONDepth("ok.json", []byte(ok), 3); err != nil {
		t.Fatalf("string content counted as nesting: %v", err)
	}
	if err := CheckJSONDepth("edge.json", []byte(`[[[1]]]`), 3); err != nil {
		t.Fatalf("depth 3 refused at limit 3: %v", err)
	}
	if err := CheckJSONDepth("edge.json", []byte(`[[[[1]]]]`), 3); err == nil {
		t.Fatal("depth 4 accepted at limit 3")
	}
}

func TestLooksBinary(t *testing.T) {
	if !LooksBinary([]byte("\x7fELF\x02\x01\x01\x00")) {
		t.Error("ELF header not seen as binary")
	}
	if LooksBinary([]byte("{\n\t\"a\": 1\r\n}")) {
		t.Error("JSON seen as binary")
	}
}

func FuzzCheckJSONDepth(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"]"}]}`))
	f.Add([]byte(`"\\"[[[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckJSONDepth("f.json", data, 8)
		if err != nil {
			var ie *Error
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *Error", err)
			}
		}
	})
}
