package input

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MaxJSONString bounds one string in a JSON document CheckJSONStructure accepts, in bytes as
// written. No field of an SBOM needs more (licence texts are kilobytes); a longer one would only
// be copied into memory again by the decoder.
const MaxJSONString = 8 << 20

// CheckJSONStructure scans data (JSON text) once and returns a positioned *Error for the first
// object that repeats a key, for nesting deeper than maxDepth, or for a string longer than
// MaxJSONString. RFC 8259 leaves the meaning of
// repeated names open, and readers disagree (encoding/json keeps the last, others the first or
// merge arrays), so an SBOM with a repeated key means different things to different tools: it is
// refused rather than read one way. Keys are compared after unescaping ("a" and "\u0061" are the
// same key). Syntax is not validated otherwise; the decoder that runs next does that.
func CheckJSONStructure(file string, data []byte, maxDepth int) error {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	type frame struct {
		object    bool
		expectKey bool
		keys      [][]byte       // keys seen, while few
		offsets   []int          // where each was seen
		big       map[string]int // keys seen, once there are many
	}
	var stack []frame
	push := func(object bool) {
		if len(stack) < cap(stack) {
			stack = stack[:len(stack)+1]
			f := &stack[len(stack)-1]
			f.object, f.expectKey, f.keys, f.offsets, f.big = object, object, f.keys[:0], f.offsets[:0], nil
			return
		}
		stack = append(stack, frame{object: object, expectKey: object})
	}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			start := i
			escaped := false
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					escaped = true
					i++
				}
			}
			if i >= len(data) {
				return nil // an unterminated string: the decoder reports it
			}
			if i-start-1 > MaxJSONString {
				return At(file, data, int64(start), "string length", fmt.Errorf("a string of %d bytes; the limit is %d", i-start-1, MaxJSONString))
			}
			if len(stack) == 0 {
				continue
			}
			f := &stack[len(stack)-1]
			if !f.object || !f.expectKey {
				continue
			}
			f.expectKey = false
			key := data[start : i+1]
			if escaped {
				var s string
				if json.Unmarshal(key, &s) != nil {
					continue // the decoder reports the bad string
				}
				key = []byte(s)
			} else {
				key = key[1 : len(key)-1]
			}
			first := -1
			if f.big != nil {
				if off, ok := f.big[string(key)]; ok {
					first = off
				} else {
					f.big[string(key)] = start
				}
			} else {
				for k, seen := range f.keys {
					if bytes.Equal(seen, key) {
						first = f.offsets[k]
						break
					}
				}
				if first < 0 {
					f.keys = append(f.keys, key)
					f.offsets = append(f.offsets, start)
					if len(f.keys) > 32 {
						f.big = make(map[string]int, 64)
						for k, seen := range f.keys {
							f.big[string(seen)] = f.offsets[k]
						}
					}
				}
			}
			if first >= 0 {
				line, col := LineCol(data, int64(first))
				return At(file, data, int64(start), "duplicate key",
					fmt.Errorf("key %q appears a second time in one object (first at %d:%d); readers disagree on which one counts, so remove one", truncateKey(key), line, col))
			}
		case '{', '[':
			if len(stack) >= maxDepth {
				return At(file, data, int64(i), "depth limit", fmt.Errorf("nesting deeper than %d levels", maxDepth))
			}
			push(c == '{')
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].expectKey = true
			}
		}
	}
	return nil
}

// truncateKey shortens a key for an error message.
func truncateKey(k []byte) string {
	if len(k) > 80 {
		return string(k[:80]) + "…"
	}
	return string(k)
}
