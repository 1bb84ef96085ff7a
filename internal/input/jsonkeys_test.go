package input

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestCheckJSONStructure(t *testing.T) {
	many := make([]string, 40)
	for i := range many {
		many[i] = fmt.Sprintf(`"k%d":%d`, i, i)
	}
	for _, tc := range []struct {
		name, doc string
		want      string // "" for no error, else a part of the message
	}{
		{"plain", `{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}`, ""},
		{"top-level components twice", "{\"bomFormat\":\"CycloneDX\",\n \"components\":[],\n \"components\":[{}]}", `3:2: duplicate key: key "components" appears a second time in one object (first at 2:2)`},
		{"nested", `{"a":{"b":1,"c":2,"b":3}}`, `1:19: duplicate key: key "b"`},
		{"escaped equal", `{"name":1,"n\u0061me":2}`, `key "name"`},
		{"value equal to key", `{"a":"a","b":"a"}`, ""},
		{"strings in arrays", `{"a":["x","x"]}`, ""},
		{"many keys", `{` + strings.Join(many, ",") + `}`, ""},
		{"many keys repeated", `{` + strings.Join(many, ",") + `,"k7":0}`, `key "k7"`},
		{"siblings reuse frames", `[{"a":1},{"a":1},{"b":{"a":1}}]`, ""},
		{"escaped quote in key", `{"a\"b":1,"a\"b":2}`, `duplicate key`},
		{"deep", strings.Repeat("[", 10) + strings.Repeat("]", 10), "depth limit"},
		{"long string", `{"name":"` + strings.Repeat("a", MaxJSONString+1) + `"}`, "1:9: string length: a string of 8388609 bytes; the limit is 8388608"},
		{"longest string", `{"name":"` + strings.Repeat("a", MaxJSONString) + `"}`, ""},
	} {
		err := CheckJSONStructure("sbom.json", []byte(tc.doc), 8)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		var ie *Error
		if err != nil && (!errors.As(err, &ie) || ie.File != "sbom.json" || ie.Line == 0) {
			t.Errorf("%s: %v is not a positioned *Error", tc.name, err)
		}
	}
}

// hasDuplicateKey is the reference: encoding/json's tokenizer, a map per object.
func hasDuplicateKey(data []byte) (bool, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, &frame{object: v == '{', keys: map[string]bool{}, key: true})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.object && top.key {
				if top.keys[v] {
					return true, nil
				}
				top.keys[v] = true
				top.key = false
				continue
			}
		}
		if top != nil && top.object {
			top.key = true
		}
	}
}

func FuzzCheckJSONStructure(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":{"b":[1,{"b":2,"c":3}]},"b":1}`, `{"\u0061":1,"a":2}`, `[{"x":1},{"x":1}]`, `{"a":"b","b":"a"}`, `{`, `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckJSONStructure("f.json", data, 64)
		if err != nil {
			var ie *Error
			if !errors.As(err, &ie) || ie.Line == 0 {
				t.Fatalf("unpositioned error %v", err)
			}
		}
		if !json.Valid(data) {
			return
		}
		dup, rerr := hasDuplicateKey(data)
		if rerr != nil {
			return
		}
		if got := err != nil && strings.Contains(err.Error(), "duplicate key"); got != dup && !strings.Contains(fmt.Sprint(err), "depth limit") {
			t.Fatalf("%q: checker says duplicate=%v (%v), reference %v", data, got, err, dup)
		}
	})
}
