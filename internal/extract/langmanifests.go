package extract

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// manifestPom reads the dependencies a Maven pom.xml declares with a version it can resolve: a
// literal, or a ${property} defined in the pom's <properties> (or project.version). Versions
// managed by a parent or a BOM are not known from this file and are skipped.
type manifestPom struct{}

func (manifestPom) Name() string      { return "java/pom" }
func (manifestPom) Match(f File) bool { return path.Base(f.Path) == "pom.xml" }

type pomDependency struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
	Scope      string `xml:"scope"`
	Optional   string `xml:"optional"`
}

type pomProject struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
	Parent     struct {
		GroupID string `xml:"groupId"`
		Version string `xml:"version"`
	} `xml:"parent"`
	Properties struct {
		Entries []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	} `xml:"properties"`
	Dependencies []pomDependency `xml:"dependencies>dependency"`
}

func (e manifestPom) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	if err := input.CheckXML(f.Path, data, limits.MaxDepth); err != nil {
		return Result{}, err
	}
	var pom pomProject
	if err := xml.Unmarshal(data, &pom); err != nil {
		return Result{}, input.XMLError(f.Path, err)
	}
	props := map[string]string{
		"project.version":        strings.TrimSpace(pom.Version),
		"project.groupId":        strings.TrimSpace(pom.GroupID),
		"project.parent.version": strings.TrimSpace(pom.Parent.Version),
	}
	if props["project.version"] == "" {
		props["project.version"] = props["project.parent.version"]
	}
	for _, p := range pom.Properties.Entries {
		props[p.XMLName.Local] = strings.TrimSpace(p.Value)
	}
	resolve := func(s string) string {
		s = strings.TrimSpace(s)
		for i := 0; i < 10 && strings.Contains(s, "${"); i++ {
			start := strings.Index(s, "${")
			end := strings.Index(s[start:], "}")
			if end < 0 {
				return ""
			}
			v, ok := props[s[start+2:start+end]]
			if !ok {
				return ""
			}
			s = s[:start] + v + s[start+end+1:]
		}
		if strings.Contains(s, "${") {
			return ""
		}
		return s
	}
	b := newBuilder(e.Name(), f)
	b.knowsRoot()
	for _, d := range pom.Dependencies {
		g, a, v := resolve(d.GroupID), resolve(d.ArtifactID), resolve(d.Version)
		if g == "" || a == "" || v == "" || strings.ContainsAny(v, "[](),") {
			continue // managed elsewhere, or a version range: not a pinned version
		}
		ref := b.add(g+":"+a, v, purl.Maven(g, a, v))
		c := b.component(ref)
		c.Group, c.Name = g, a
		b.direct(ref)
		if s := strings.TrimSpace(d.Scope); s == "test" || s == "provided" || strings.TrimSpace(d.Optional) == "true" {
			b.markDev(ref)
		}
	}
	return b.result(), nil
}

// lockMix reads Elixir's mix.lock, an Elixir map literal:
//
//	%{"name": {:hex, :name, "1.2.3", "inner sha256", [:mix], [{:dep, "~> 1.0", [hex: :dep, ...]}], "hexpm", "outer sha256"}, ...}
//
// Only the parts needed are read with a small tokenizer; git and path dependencies are skipped.
type lockMix struct{}

func (lockMix) Name() string      { return "elixir/mix-lock" }
func (lockMix) Match(f File) bool { return path.Base(f.Path) == "mix.lock" }

func (e lockMix) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	entries, err := parseMixLock(f.Path, data)
	if err != nil {
		return Result{}, err
	}
	b := newBuilder(e.Name(), f)
	refs := map[string]string{}
	for _, en := range entries {
		if en.kind != "hex" || en.version == "" {
			continue
		}
		ref := b.add(en.pkg, en.version, purl.New("hex", "", en.pkg, en.version))
		refs[en.key] = ref
		if sbom.ValidHashValue(sbom.SHA256, en.outerHash) {
			c := b.component(ref)
			c.Hashes = appendHashUnique(c.Hashes, sbom.Hash{Algorithm: sbom.SHA256, Value: strings.ToLower(en.outerHash)})
		}
	}
	for _, en := range entries {
		for _, d := range en.deps {
			b.edge(refs[en.key], refs[d])
		}
	}
	return b.result(), nil
}

type mixEntry struct {
	key, kind, pkg, version, outerHash string
	deps                               []string
}

// parseMixLock tokenizes the map: strings, atoms, and the punctuation of tuples, lists and
// keyword lists. Nesting is bounded.
func parseMixLock(name string, data []byte) ([]mixEntry, error) {
	s := string(data)
	i := 0
	errAt := func(msg string) error {
		return input.At(name, data, int64(i), "mix.lock syntax", errors.New(msg))
	}
	skipSpace := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r' || s[i] == ',') {
			i++
		}
	}
	readString := func() (string, error) {
		if i >= len(s) || s[i] != '"' {
			return "", errAt("expected a string")
		}
		j := i + 1
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(s) {
			return "", errAt("unterminated string")
		}
		str := s[i+1 : j]
		i = j + 1
		return str, nil
	}
	// readTerm returns the terms of one element: a string or atom gives itself; a tuple or list
	// gives its flattened leaves (enough to find dependency names).
	var readTerm func(depth int) ([]string, error)
	readTerm = func(depth int) ([]string, error) {
		if depth > 32 {
			return nil, errAt("nesting too deep")
		}
		skipSpace()
		if i >= len(s) {
			return nil, errAt("unexpected end of input")
		}
		switch c := s[i]; {
		case c == '"':
			str, err := readString()
			return []string{str}, err
		case c == '{' || c == '[':
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			i++
			var out []string
			for {
				skipSpace()
				if i >= len(s) {
					return nil, errAt("unclosed tuple or list")
				}
				if s[i] == closer {
					i++
					return append([]string{"\x00" + string(c)}, append(out, "\x00end")...), nil
				}
				t, err := readTerm(depth + 1)
				if err != nil {
					return nil, err
				}
				out = append(out, t...)
			}
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \n\t\r,{}[]", rune(s[j])) {
				j++
			}
			if j == i {
				return nil, errAt(fmt.Sprintf("unexpected %q", s[i]))
			}
			tok := s[i:j]
			i = j
			return []string{strings.TrimSuffix(tok, ":")}, nil
		}
	}
	skipSpace()
	if !strings.HasPrefix(s[i:], "%{") {
		return nil, errAt(`mix.lock must start with "%{"`)
	}
	i += 2
	var out []mixEntry
	for {
		skipSpace()
		if i >= len(s) {
			return nil, errAt("unclosed map")
		}
		if s[i] == '}' {
			return out, nil
		}
		key, err := readString()
		if err != nil {
			return nil, err
		}
		skipSpace()
		if i < len(s) && s[i] == ':' {
			i++
		} else if strings.HasPrefix(s[i:], "=>") {
			i += 2
		} else {
			return nil, errAt(`expected ":" or "=>" after the key`)
		}
		terms, err := readTerm(0)
		if err != nil {
			return nil, err
		}
		en := mixEntry{key: key}
		// terms: "\x00{", ":hex", ":name", "1.2.3", "inner", "\x00[", ":mix", "\x00end", "\x00[" deps... "\x00end", "hexpm", "outer", "\x00end"
		var flat []string
		depth := 0
		for _, t := range terms {
			switch {
			case strings.HasPrefix(t, "\x00{") || strings.HasPrefix(t, "\x00["):
				depth++
				if depth == 2 {
					flat = append(flat, "\x00list")
				}
			case t == "\x00end":
				depth--
			case depth == 1:
				flat = append(flat, t)
			case depth == 3 && strings.HasPrefix(t, ":") && len(flat) > 0 && countLists(flat) == 2:
				// {:dep, "~> 1.0", [...]}: the atom directly inside a tuple of the deps list
				en.deps = append(en.deps, strings.TrimPrefix(t, ":"))
			}
		}
		if len(flat) >= 3 {
			en.kind = strings.TrimPrefix(flat[0], ":")
			en.pkg = strings.TrimPrefix(flat[1], ":")
			en.version = flat[2]
		}
		if len(flat) >= 8 {
			en.outerHash = flat[7]
		}
		out = append(out, en)
	}
}

func countLists(flat []string) int {
	n := 0
	for _, t := range flat {
		if t == "\x00list" {
			n++
		}
	}
	return n
}
