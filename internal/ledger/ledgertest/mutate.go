package ledgertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// Mutation is a bundle changed in one way: Name says how.
type Mutation struct {
	Name string
	Data []byte
}

// Mutations returns every bundle that differs from the bundle data (JSON, as exported) by one
// statement left out, one pair of adjacent statements or subject proofs swapped, or one object
// key renamed (to an unknown name, to the same name in another case, and to each other key of
// the same object). None of them may verify.
func Mutations(data []byte) ([]Mutation, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, err
	}
	var out []Mutation
	for _, list := range []string{"entries", "subjects"} {
		var items []json.RawMessage
		if err := json.Unmarshal(top[list], &items); err != nil {
			return nil, fmt.Errorf("%s: %w", list, err)
		}
		with := func(name string, items []json.RawMessage) {
			m := map[string]json.RawMessage{}
			for k, v := range top {
				m[k] = v
			}
			m[list], _ = json.Marshal(items)
			b, _ := json.Marshal(m)
			out = append(out, Mutation{name, b})
		}
		for i := range items {
			if list == "entries" {
				with(fmt.Sprintf("%s[%d] left out", list, i), append(append([]json.RawMessage{}, items[:i]...), items[i+1:]...))
			}
			if i+1 < len(items) {
				swapped := append([]json.RawMessage{}, items...)
				swapped[i], swapped[i+1] = swapped[i+1], swapped[i]
				with(fmt.Sprintf("%s[%d] and [%d] swapped", list, i, i+1), swapped)
			}
		}
	}
	keys, err := objectKeys(data)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		flip := []rune(k.name)
		if unicode.IsUpper(flip[0]) {
			flip[0] = unicode.ToLower(flip[0])
		} else {
			flip[0] = unicode.ToUpper(flip[0])
		}
		targets := append([]string{k.name + "X", string(flip)}, k.siblings...)
		for _, to := range targets {
			quoted, _ := json.Marshal(to)
			b := append(append(append([]byte{}, data[:k.start]...), quoted...), data[k.end:]...)
			out = append(out, Mutation{fmt.Sprintf("key %s renamed %q", k.path, to), b})
		}
	}
	return out, nil
}

type keyAt struct {
	name, path string
	start, end int // the quoted key's bytes
	siblings   []string
}

// objectKeys finds every object key in data with its position and the other keys of its object.
func objectKeys(data []byte) ([]keyAt, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var keys []keyAt
	var walk func(path string) error
	walk = func(path string) error {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'):
			first := len(keys)
			var names []string
			for dec.More() {
				before := dec.InputOffset()
				t, err := dec.Token()
				if err != nil {
					return err
				}
				name := t.(string)
				end := int(dec.InputOffset())
				start := bytes.LastIndexByte(data[before:end-1], '"') + int(before)
				keys = append(keys, keyAt{name: name, path: path + "." + name, start: start, end: end})
				names = append(names, name)
				if err := walk(path + "." + name); err != nil {
					return err
				}
			}
			for i := first; i < len(keys); i++ {
				if strings.Count(keys[i].path, ".") == strings.Count(path, ".")+1 && strings.HasPrefix(keys[i].path, path+".") {
					for _, n := range names {
						if n != keys[i].name {
							keys[i].siblings = append(keys[i].siblings, n)
						}
					}
				}
			}
			_, err = dec.Token() // '}'
			return err
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			_, err = dec.Token() // ']'
			return err
		}
		return nil
	}
	return keys, walk("")
}

// AsV1 rewrites an exported bundle in the format from before subject proofs
// (siegel-ledger-bundle/v1): the same statements and checkpoint, no subject or subject proofs.
func AsV1(data []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	delete(m, "subject")
	delete(m, "subjects")
	m["format"] = json.RawMessage(`"siegel-ledger-bundle/v1"`)
	return json.Marshal(m)
}
