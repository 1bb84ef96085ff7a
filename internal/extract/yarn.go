package extract

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
)

// lockYarn reads yarn.lock: the classic (v1) format, a YAML-like syntax of its own, and the
// berry (v2+) format, which is YAML with a __metadata entry. Each entry's key lists the
// requested ranges ("name@^1.0.0, name@^1.2.0") it satisfies; dependencies are resolved by
// finding the entry whose key lists the requested range.
type lockYarn struct{}

func (lockYarn) Name() string      { return "npm/yarn-lock" }
func (lockYarn) Match(f File) bool { return path.Base(f.Path) == "yarn.lock" }

type yarnEntry struct {
	specs      []string
	version    string
	resolution string
	integrity  string
	deps       map[string]string
	line       int
}

func (e lockYarn) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	var entries []yarnEntry
	berry := bytes.Contains(data, []byte("\n__metadata:")) || bytes.HasPrefix(data, []byte("__metadata:"))
	if berry {
		entries, err = parseYarnBerry(f.Path, data)
	} else {
		entries, err = parseYarnClassic(f.Path, data)
	}
	if err != nil {
		return Result{}, err
	}
	b := newBuilder(e.Name(), f)
	bySpec := map[string]string{} // "name@range" -> ref
	var workspaces []yarnEntry
	for _, en := range entries {
		if len(en.specs) == 0 {
			continue
		}
		name := yarnSpecName(en.specs[0])
		if strings.Contains(en.resolution, "@workspace:") || strings.Contains(en.specs[0], "@workspace:") {
			workspaces = append(workspaces, en)
			continue
		}
		if en.version == "" || strings.Contains(en.resolution, "@patch:") {
			continue
		}
		if en.resolution != "" {
			// berry: the resolution names the real package ("alias@npm:real@1.0.0" aliases).
			if rn := yarnSpecName(en.resolution); rn != "" {
				name = rn
			}
		}
		ref := b.add(name, en.version, purl.NPM(name, en.version))
		c := b.component(ref)
		for _, h := range sriHashes(en.integrity) {
			c.Hashes = appendHashUnique(c.Hashes, h)
		}
		for _, s := range en.specs {
			bySpec[s] = ref
		}
	}
	lookup := func(name, rng string) string {
		for _, key := range []string{name + "@" + rng, name + "@npm:" + rng} {
			if ref, ok := bySpec[key]; ok {
				return ref
			}
		}
		return ""
	}
	for _, en := range entries {
		from := ""
		if len(en.specs) > 0 {
			from = bySpec[en.specs[0]]
		}
		for _, name := range sortedKeys(en.deps) {
			to := lookup(name, en.deps[name])
			if from != "" {
				b.edge(from, to)
			}
		}
	}
	if len(workspaces) > 0 {
		// Berry lists the project (and its workspaces): their dependencies are the direct ones.
		for _, w := range workspaces {
			for _, name := range sortedKeys(w.deps) {
				b.direct(lookup(name, w.deps[name]))
			}
		}
	}
	return b.result(), nil
}

// yarnSpecName returns the package name of "name@range" or "@scope/name@npm:range".
func yarnSpecName(spec string) string {
	spec = strings.Trim(spec, `"`)
	if i := strings.Index(spec[min(1, len(spec)):], "@"); i >= 0 {
		return spec[:i+1]
	}
	return spec
}

// parseYarnClassic reads the v1 format: unindented keys ending in ':', fields indented two
// spaces ("version "1.2.3""), dependency lists indented four.
func parseYarnClassic(name string, data []byte) ([]yarnEntry, error) {
	var entries []yarnEntry
	var cur *yarnEntry
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 0:
			if !strings.HasSuffix(trimmed, ":") {
				return nil, &input.Error{File: name, Line: n, Column: 1, Rule: "yarn.lock syntax", Err: fmt.Errorf("entry key must end with ':': %q", truncateText(trimmed))}
			}
			entries = append(entries, yarnEntry{line: n, deps: map[string]string{}})
			cur = &entries[len(entries)-1]
			for _, s := range strings.Split(strings.TrimSuffix(trimmed, ":"), ",") {
				cur.specs = append(cur.specs, strings.Trim(strings.TrimSpace(s), `"`))
			}
			section = ""
		case cur == nil:
			return nil, &input.Error{File: name, Line: n, Column: indent + 1, Rule: "yarn.lock syntax", Err: fmt.Errorf("indented line before the first entry")}
		case indent == 2:
			key, val, _ := strings.Cut(trimmed, " ")
			val = strings.Trim(strings.TrimSpace(val), `"`)
			section = ""
			switch strings.TrimSuffix(key, ":") {
			case "version":
				cur.version = val
			case "integrity":
				cur.integrity = val
			case "dependencies", "optionalDependencies":
				section = "deps"
			}
		case indent >= 4 && section == "deps":
			key, val, ok := strings.Cut(trimmed, " ")
			if !ok {
				return nil, &input.Error{File: name, Line: n, Column: indent + 1, Rule: "yarn.lock syntax", Err: fmt.Errorf("dependency must be \"name range\": %q", truncateText(trimmed))}
			}
			cur.deps[strings.Trim(key, `"`)] = strings.Trim(strings.TrimSpace(val), `"`)
		}
	}
	return entries, nil
}

// parseYarnBerry reads the v2+ format, which is YAML.
func parseYarnBerry(name string, data []byte) ([]yarnEntry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &input.Error{File: name, Line: 1, Rule: "schema", Err: fmt.Errorf("yarn.lock is not a mapping of entries")}
	}
	m := doc.Content[0]
	var entries []yarnEntry
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Value == "__metadata" || v.Kind != yaml.MappingNode {
			continue
		}
		en := yarnEntry{line: k.Line, deps: map[string]string{}}
		for _, s := range strings.Split(k.Value, ",") {
			en.specs = append(en.specs, strings.TrimSpace(s))
		}
		for j := 0; j+1 < len(v.Content); j += 2 {
			fk, fv := v.Content[j], v.Content[j+1]
			switch fk.Value {
			case "version":
				en.version = fv.Value
			case "resolution":
				en.resolution = fv.Value
			case "dependencies", "optionalDependencies":
				for d := 0; d+1 < len(fv.Content); d += 2 {
					en.deps[fv.Content[d].Value] = fv.Content[d+1].Value
				}
			}
		}
		entries = append(entries, en)
	}
	return entries, nil
}

// yamlError positions a yaml.v3 error, which says "yaml: line N: ...".
func yamlError(name string, err error) error {
	msg := err.Error()
	line := 0
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if num, detail, ok := strings.Cut(rest, ":"); ok {
			if _, scanErr := fmt.Sscanf(num, "%d", &line); scanErr == nil {
				msg = strings.TrimSpace(detail)
			}
		}
	}
	return &input.Error{File: name, Line: line, Rule: "YAML syntax", Err: fmt.Errorf("%s", msg)}
}

func truncateText(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
