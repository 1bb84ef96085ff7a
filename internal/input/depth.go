package input

import "fmt"

// CheckJSONDepth scans data (JSON text) and returns a positioned *Error when objects and arrays
// nest deeper than maxDepth. It does not validate the JSON otherwise; it runs before a decoder so
// that a hostile document cannot drive a recursive decoder deep into the stack.
func CheckJSONDepth(file string, data []byte, maxDepth int) error {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	depth := 0
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > maxDepth {
				return At(file, data, int64(i), "depth limit",
					fmt.Errorf("nesting deeper than %d levels", maxDepth))
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}
