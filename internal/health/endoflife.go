package health

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/siegel-oss/siegel/internal/input"
)

// Limits for one endoflife.date product file.
const (
	maxProductBytes = 4 << 20 // the largest real product file is about 120 kB
	maxProductDepth = 16      // the real files nest five levels deep
	maxCycles       = 10_000
	maxIdentifiers  = 10_000
)

// ParseProduct reads one endoflife.date product file: Markdown whose YAML front matter, between
// a first line "---" and the next line "---", holds the title, the identifiers (purl, cpe,
// repology) and the release cycles. name is the file's name; its base without ".md" is the
// product's slug. Errors are *input.Error values naming the file, line and rule broken.
func ParseProduct(name string, r io.Reader) (Product, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxProductBytes+1))
	if err != nil {
		return Product{}, &input.Error{File: name, Rule: "read", Err: err}
	}
	if len(b) > maxProductBytes {
		return Product{}, &input.Error{File: name, Rule: "size limit", Err: fmt.Errorf("larger than %d bytes", maxProductBytes)}
	}
	fm, err := frontMatter(b)
	if err != nil {
		return Product{}, &input.Error{File: name, Line: 1, Rule: "front matter", Err: err}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(fm, &doc); err != nil {
		line, msg := yamlPosition(err)
		if line > 0 {
			line++ // the front matter starts on the file's second line
		}
		return Product{}, &input.Error{File: name, Line: line, Rule: "yaml", Err: errors.New(msg)}
	}
	p := Product{Name: strings.TrimSuffix(path.Base(strings.ReplaceAll(name, "\\", "/")), ".md")}
	if len(doc.Content) == 0 {
		return Product{}, &input.Error{File: name, Line: 2, Rule: "front matter", Err: errors.New("empty")}
	}
	root := doc.Content[0]
	fail := func(n *yaml.Node, rule, format string, args ...any) error {
		return &input.Error{File: name, Line: n.Line + 1, Column: n.Column, Rule: rule, Err: fmt.Errorf(format, args...)}
	}
	if err := checkDepth(root, 0, fail); err != nil {
		return Product{}, err
	}
	if root.Kind != yaml.MappingNode {
		return Product{}, fail(root, "front matter", "not a mapping")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "title":
			p.Title = v.Value
		case "identifiers":
			if err := p.readIdentifiers(v, fail); err != nil {
				return Product{}, err
			}
		case "releases":
			if v.Kind != yaml.SequenceNode {
				return Product{}, fail(v, "releases", "not a list")
			}
			if len(v.Content) > maxCycles {
				return Product{}, fail(v, "size limit", "more than %d releases", maxCycles)
			}
			for _, rn := range v.Content {
				cy, err := readCycle(rn, fail)
				if err != nil {
					return Product{}, err
				}
				p.Cycles = append(p.Cycles, cy)
			}
		}
	}
	return p, nil
}

type failFunc func(n *yaml.Node, rule, format string, args ...any) error

func checkDepth(n *yaml.Node, depth int, fail failFunc) error {
	if depth > maxProductDepth {
		return fail(n, "depth limit", "nested deeper than %d levels", maxProductDepth)
	}
	if n.Kind == yaml.AliasNode {
		// Aliases could multiply the work (a "billion laughs" document); product files use none.
		return fail(n, "alias", "YAML aliases are not accepted")
	}
	for _, c := range n.Content {
		if err := checkDepth(c, depth+1, fail); err != nil {
			return err
		}
	}
	return nil
}

func (p *Product) readIdentifiers(v *yaml.Node, fail failFunc) error {
	if v.Kind != yaml.SequenceNode {
		return fail(v, "identifiers", "not a list")
	}
	if len(v.Content) > maxIdentifiers {
		return fail(v, "size limit", "more than %d identifiers", maxIdentifiers)
	}
	for _, id := range v.Content {
		if id.Kind != yaml.MappingNode {
			return fail(id, "identifiers", "an identifier is not a mapping")
		}
		for j := 0; j+1 < len(id.Content); j += 2 {
			key, val := id.Content[j].Value, strings.TrimSpace(id.Content[j+1].Value)
			if val == "" {
				continue
			}
			switch key {
			case "purl":
				p.PURLs = append(p.PURLs, val)
			case "cpe":
				p.CPEs = append(p.CPEs, val)
			case "repology":
				p.Repology = append(p.Repology, val)
			}
		}
	}
	return nil
}

func readCycle(n *yaml.Node, fail failFunc) (Cycle, error) {
	if n.Kind != yaml.MappingNode {
		return Cycle{}, fail(n, "releases", "a release is not a mapping")
	}
	var cy Cycle
	var err error
	for i := 0; i+1 < len(n.Content) && err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "releaseCycle":
			// The raw scalar text: an unquoted 3.10 stays "3.10", not the number 3.1.
			cy.Name = strings.TrimSpace(v.Value)
		case "releaseDate":
			cy.ReleaseDate, err = dateField(v, "releaseDate", fail)
		case "latestReleaseDate":
			cy.LatestDate, err = dateField(v, "latestReleaseDate", fail)
		case "latest":
			cy.Latest = strings.TrimSpace(v.Value)
		case "eol":
			cy.EOL, err = supportField(v, "eol", fail)
		case "eoas":
			cy.EOAS, err = supportField(v, "eoas", fail)
		case "eoes":
			cy.EOES, err = supportField(v, "eoes", fail)
		case "lts":
			// true, false, or the date from which the cycle is a long-term-support release.
			s, e := supportField(v, "lts", fail)
			cy.LTS, err = s.Ended || !s.Date.IsZero(), e
		}
	}
	if err != nil {
		return Cycle{}, err
	}
	if cy.Name == "" {
		return Cycle{}, fail(n, "releases", "a release without releaseCycle")
	}
	return cy, nil
}

func dateField(v *yaml.Node, field string, fail failFunc) (time.Time, error) {
	if v.Kind != yaml.ScalarNode {
		return time.Time{}, fail(v, field, "not a date")
	}
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(v.Value))
	if err != nil {
		return time.Time{}, fail(v, field, "not a date (YYYY-MM-DD): %q", v.Value)
	}
	return t, nil
}

// supportField reads a field that is a date or a boolean.
func supportField(v *yaml.Node, field string, fail failFunc) (Support, error) {
	if v.Kind != yaml.ScalarNode {
		return Support{}, fail(v, field, "neither a date nor true/false")
	}
	s := strings.TrimSpace(v.Value)
	switch strings.ToLower(s) {
	case "true":
		return Support{Ended: true, Known: true}, nil
	case "false":
		return Support{Known: true}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Support{}, fail(v, field, "neither a date (YYYY-MM-DD) nor true/false: %q", s)
	}
	return Support{Date: t, Known: true}, nil
}

// frontMatter returns the YAML between the first line "---" and the next line "---".
func frontMatter(b []byte) ([]byte, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), maxProductBytes)
	if !sc.Scan() || strings.TrimRight(sc.Text(), " \t\r") != "---" {
		return nil, errors.New(`the file does not start with a line "---"`)
	}
	start := len(sc.Bytes()) + 1
	off := start
	for sc.Scan() {
		line := sc.Bytes()
		if strings.TrimRight(string(line), " \t\r") == "---" {
			return b[start:off], nil
		}
		off += len(line) + 1
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New(`no closing line "---"`)
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// yamlPosition splits a yaml error into the line it names (0 when none) and the message.
func yamlPosition(err error) (int, string) {
	s := err.Error()
	if m := yamlLineRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, s[len(m[0]):]
	}
	return 0, strings.TrimPrefix(s, "yaml: ")
}
