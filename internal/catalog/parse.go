package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Limits on a catalog file: the embedded ones are far below them; they bound the work a
// hostile file can cause.
const (
	maxFileSize = 4 << 20
	maxDepth    = 32
	maxNodes    = 200_000
)

// Error is a problem with a catalog file: which file, which field (a JSON pointer into the
// document), the line where that field is, when known, and the rule broken.
type Error struct {
	File  string
	Field string
	Line  int
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	field := e.Field
	if field == "" {
		field = "/"
	}
	return fmt.Sprintf("%s: %s: %s", loc, field, e.Msg)
}

// fileDoc is the shape of a catalog file (the schema is the authority; this is its Go mirror).
type fileDoc struct {
	Catalog     string   `yaml:"catalog"`
	Title       string   `yaml:"title"`
	Version     string   `yaml:"version"`
	Description string   `yaml:"description"`
	Applies     applies  `yaml:"applies"`
	Attesters   []string `yaml:"attesters"`
	Conditions  []struct {
		ID    string `yaml:"id"`
		Text  string `yaml:"text"`
		Fact  string `yaml:"fact"`
		Holds *bool  `yaml:"holds"`
	} `yaml:"conditions"`
	Requirements []reqDoc `yaml:"requirements"`
}

type applies struct {
	Categories []string `yaml:"categories"`
	CRAClasses []string `yaml:"craClasses"`
}

type reqDoc struct {
	ID         string            `yaml:"id"`
	Reference  string            `yaml:"reference"`
	Title      string            `yaml:"title"`
	Summary    string            `yaml:"summary"`
	Status     string            `yaml:"status"`
	Conditions []string          `yaml:"conditions"`
	Applies    *applies          `yaml:"applies"`
	Evidence   []string          `yaml:"evidence"`
	Automation string            `yaml:"automation"`
	Evaluators []string          `yaml:"evaluators"`
	Params     map[string]string `yaml:"params"`
	Attesters  []string          `yaml:"attesters"`
	Related    []string          `yaml:"related"`
	Document   string            `yaml:"document"`
	Unverified bool              `yaml:"unverified"`
}

type file struct {
	name  string
	doc   fileDoc
	lines map[string]int // JSON pointer -> line
}

func (f *file) line(pointer string) int {
	// The nearest enclosing field that has a line: a missing field is reported at its parent.
	for {
		if l, ok := f.lines[pointer]; ok {
			return l
		}
		i := strings.LastIndexByte(pointer, '/')
		if i < 0 {
			return 0
		}
		pointer = pointer[:i]
	}
}

type validator struct {
	schema  *jsonschema.Schema
	printer *message.Printer
}

func newValidator(schema []byte) (*validator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("catalog schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	const url = "catalog.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("catalog schema: %w", err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("catalog schema: %w", err)
	}
	return &validator{schema: s, printer: message.NewPrinter(language.English)}, nil
}

// parse decodes one YAML file, validates it against the schema and decodes it into fileDoc.
func (v *validator) parse(name string, data []byte) (*file, error) {
	f := &file{name: name, lines: map[string]int{}}
	if err := v.decode(name, data, f.lines, &f.doc); err != nil {
		return nil, err
	}
	return f, nil
}

// decode decodes one YAML file, validates it against the schema and decodes it into out,
// recording the line of every field in lines.
func (v *validator) decode(name string, data []byte, lines map[string]int, out any) error {
	f := &file{name: name, lines: lines}
	if len(data) > maxFileSize {
		return &Error{File: name, Msg: fmt.Sprintf("file is %d bytes; the limit is %d", len(data), maxFileSize)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return &Error{File: name, Msg: "not valid YAML: " + err.Error()}
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return &Error{File: name, Msg: "want exactly one YAML document"}
	}
	conv := converter{lines: f.lines}
	inst, err := conv.value(root.Content[0], "", 0)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = name
		}
		return err
	}
	if err := v.schema.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return &Error{File: name, Msg: err.Error()}
		}
		leaf := deepest(ve)
		ptr := pointer(leaf.InstanceLocation)
		if ap, ok := leaf.ErrorKind.(*kind.AdditionalProperties); ok && len(ap.Properties) > 0 {
			ptr += pointer(ap.Properties[:1]) // point at the unexpected field itself
		}
		return &Error{File: name, Field: ptr, Line: f.line(ptr), Msg: leaf.ErrorKind.LocalizedString(v.printer)}
	}
	if err := root.Content[0].Decode(out); err != nil {
		return &Error{File: name, Msg: err.Error()}
	}
	return nil
}

// deepest picks the most specific cause: the one deepest in the instance, first in order, so
// that the message names the field that is wrong rather than the object that holds it.
func deepest(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	best := e
	var walk func(*jsonschema.ValidationError)
	walk = func(x *jsonschema.ValidationError) {
		if len(x.InstanceLocation) > len(best.InstanceLocation) || (len(x.Causes) == 0 && len(best.Causes) > 0 && len(x.InstanceLocation) == len(best.InstanceLocation)) {
			best = x
		}
		for _, c := range x.Causes {
			walk(c)
		}
	}
	walk(e)
	return best
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func pointer(loc []string) string {
	var b strings.Builder
	for _, p := range loc {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(p))
	}
	return b.String()
}

// converter turns a YAML node tree into the values jsonschema validates (JSON's data model),
// recording the line of every field. It rejects what JSON cannot hold (non-string keys,
// duplicate keys) and refuses aliases, so a file cannot expand into more than it says.
type converter struct {
	lines map[string]int
	nodes int
}

func (c *converter) value(n *yaml.Node, ptr string, depth int) (any, error) {
	c.nodes++
	if c.nodes > maxNodes {
		return nil, &Error{Field: ptr, Line: n.Line, Msg: fmt.Sprintf("more than %d YAML nodes", maxNodes)}
	}
	if depth > maxDepth {
		return nil, &Error{Field: ptr, Line: n.Line, Msg: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	c.lines[ptr] = n.Line
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || (k.Tag != "!!str" && k.Tag != "!!int" && k.Tag != "!!float" && k.Tag != "!!bool") {
				return nil, &Error{Field: ptr, Line: k.Line, Msg: "mapping keys must be plain strings"}
			}
			if _, dup := m[k.Value]; dup {
				return nil, &Error{Field: ptr + "/" + k.Value, Line: k.Line, Msg: fmt.Sprintf("key %q appears twice", k.Value)}
			}
			child, err := c.value(val, ptr+"/"+pointerEscaper.Replace(k.Value), depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = child
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			child, err := c.value(item, ptr+"/"+strconv.Itoa(i), depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, child)
		}
		return s, nil
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, &Error{Field: ptr, Line: n.Line, Msg: err.Error()}
			}
			return b, nil
		case "!!int", "!!float":
			f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, &Error{Field: ptr, Line: n.Line, Msg: fmt.Sprintf("number %q is not a JSON number", n.Value)}
			}
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
		case "!!str", "!!timestamp":
			return n.Value, nil
		}
		return nil, &Error{Field: ptr, Line: n.Line, Msg: fmt.Sprintf("YAML type %s has no JSON equivalent", n.Tag)}
	case yaml.AliasNode:
		return nil, &Error{Field: ptr, Line: n.Line, Msg: "YAML aliases are not allowed in a catalog"}
	}
	return nil, &Error{Field: ptr, Line: n.Line, Msg: "unexpected YAML node"}
}

// EvaluatorNames lists the evaluators a catalog may name, sorted.
func EvaluatorNames() []string {
	names := make([]string, 0, len(evaluators))
	for n := range evaluators {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
