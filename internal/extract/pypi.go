package extract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
)

// pep508Name matches a distribution name as PEP 508 allows it.
var pep508Name = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)

// pyRequirements reads pip requirements files. Only exact pins (== or ===) name a version that
// is installed; ranges and unpinned names are skipped, as are options (-r, -c, -e, --index-url)
// and URLs. Hashes from --hash options are kept.
type pyRequirements struct{}

func (pyRequirements) Name() string { return "python/requirements" }
func (pyRequirements) Match(f File) bool {
	b := path.Base(f.Path)
	if path.Ext(b) != ".txt" {
		return false
	}
	return strings.HasPrefix(b, "requirements") || path.Base(path.Dir(f.Path)) == "requirements"
}

func (e pyRequirements) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	b := newBuilder(e.Name(), f)
	b.knowsRoot()
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimRight(lines[i], "\r")
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, "\\") + " " + strings.TrimRight(lines[i], "\r")
		}
		if j := strings.Index(line, " #"); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '-' || strings.Contains(line, "://") {
			continue
		}
		spec, opts, _ := strings.Cut(line, " --")
		opts = "--" + opts
		if j := strings.IndexByte(spec, ';'); j >= 0 {
			spec = spec[:j] // environment marker
		}
		op := "==="
		k := strings.Index(spec, op)
		if k < 0 {
			op = "=="
			k = strings.Index(spec, op)
		}
		if k < 0 {
			continue // not pinned: what gets installed is not known from this file
		}
		name, version := strings.TrimSpace(spec[:k]), strings.TrimSpace(spec[k+len(op):])
		if j := strings.IndexByte(name, '['); j >= 0 {
			name = strings.TrimSpace(name[:j]) // extras
		}
		if strings.ContainsAny(version, ",<>!~* ") || version == "" {
			continue // a range written with ==, such as "==1.*"
		}
		if !pep508Name.MatchString(name) {
			return Result{}, &input.Error{File: f.Path, Line: start, Column: 1, Rule: "requirement syntax",
				Err: fmt.Errorf("%q is not a valid distribution name", truncateText(name))}
		}
		ref := b.add(purl.NormalizePyPI(name), version, purl.PyPI(name, version))
		b.direct(ref)
		for _, o := range strings.Fields(opts) {
			if v, ok := strings.CutPrefix(o, "--hash="); ok {
				if h, ok := prefixedHash(v); ok {
					c := b.component(ref)
					c.Hashes = appendHashUnique(c.Hashes, h)
				}
			}
		}
	}
	return b.result(), nil
}

// lockPipfile reads Pipfile.lock: "default" packages are needed at run time, "develop" ones for
// development. The lockfile is flat; direct dependencies are those the Pipfile beside it names.
type lockPipfile struct{}

func (lockPipfile) Name() string      { return "python/pipfile-lock" }
func (lockPipfile) Match(f File) bool { return path.Base(f.Path) == "Pipfile.lock" }

type pipfileEntry struct {
	Version string   `json:"version"`
	Hashes  []string `json:"hashes"`
}

func (e lockPipfile) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	if err := input.CheckJSONDepth(f.Path, data, limits.MaxDepth); err != nil {
		return Result{}, err
	}
	var lock struct {
		Default map[string]pipfileEntry `json:"default"`
		Develop map[string]pipfileEntry `json:"develop"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return Result{}, input.JSONError(f.Path, data, err)
	}
	b := newBuilder(e.Name(), f)
	direct := pipfileDirect(fsys, path.Join(path.Dir(f.Path), "Pipfile"), limits)
	for _, group := range []struct {
		entries map[string]pipfileEntry
		dev     bool
	}{{lock.Default, false}, {lock.Develop, true}} {
		for _, name := range sortedKeys(group.entries) {
			en := group.entries[name]
			version := strings.TrimPrefix(strings.TrimPrefix(en.Version, "=="), "=")
			if version == "" || strings.ContainsAny(version, "<>!~*,") {
				continue // a VCS or path dependency
			}
			ref := b.add(purl.NormalizePyPI(name), version, purl.PyPI(name, version))
			if group.dev && lock.Default[name].Version == "" {
				b.markDev(ref)
			}
			for _, hs := range en.Hashes {
				if h, ok := prefixedHash(hs); ok {
					c := b.component(ref)
					c.Hashes = appendHashUnique(c.Hashes, h)
				}
			}
			if direct != nil {
				b.knowsRoot()
				if direct[purl.NormalizePyPI(name)] {
					b.direct(ref)
				}
			}
		}
	}
	return b.result(), nil
}

// pipfileDirect returns the normalized names a Pipfile declares, or nil without a Pipfile.
func pipfileDirect(fsys fs.FS, name string, limits input.Limits) map[string]bool {
	data, ok := readSibling(fsys, name, limits)
	if !ok {
		return nil
	}
	var pf map[string]any
	if _, err := toml.Decode(string(data), &pf); err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, section := range []string{"packages", "dev-packages"} {
		if m, ok := pf[section].(map[string]any); ok {
			for n := range m {
				out[purl.NormalizePyPI(n)] = true
			}
		}
	}
	return out
}

// readSibling reads a file that gives context to the file being extracted (package.json,
// Pipfile, pyproject.toml); it is optional, so any problem just means "not there".
func readSibling(fsys fs.FS, name string, limits input.Limits) ([]byte, bool) {
	info, err := fs.Stat(fsys, name)
	if err != nil || !info.Mode().IsRegular() {
		return nil, false
	}
	data, err := readFile(fsys, File{Path: name, Mode: info.Mode(), Size: info.Size()}, limits)
	return data, err == nil
}

// lockPoetry reads poetry.lock ([[package]] tables with their dependencies). Direct dependencies
// come from pyproject.toml beside it when present.
type lockPoetry struct{}

func (lockPoetry) Name() string      { return "python/poetry-lock" }
func (lockPoetry) Match(f File) bool { return path.Base(f.Path) == "poetry.lock" }

// lockUV reads uv.lock: [[package]] tables; the project itself is the package whose source is
// editable or virtual ".", and its dependencies are the direct ones.
type lockUV struct{}

func (lockUV) Name() string      { return "python/uv-lock" }
func (lockUV) Match(f File) bool { return path.Base(f.Path) == "uv.lock" }

type pyLockPackage struct {
	Name         string         `toml:"name"`
	Version      string         `toml:"version"`
	Category     string         `toml:"category"`
	Groups       []string       `toml:"groups"`
	Source       map[string]any `toml:"source"`
	Dependencies any            `toml:"dependencies"`     // poetry: table name -> constraint; uv: array of {name}
	DevDeps      map[string]any `toml:"dev-dependencies"` // uv: group -> array of {name}
	OptDeps      map[string]any `toml:"optional-dependencies"`
	Sdist        map[string]any `toml:"sdist"`
}

func decodeTOMLLock(f File, data []byte) ([]pyLockPackage, error) {
	var lock struct {
		Package []pyLockPackage `toml:"package"`
	}
	if _, err := tomlDecode(string(data), &lock); err != nil {
		return nil, tomlError(f, err)
	}
	return lock.Package, nil
}

var tomlDecode = toml.Decode

// tomlError positions a BurntSushi/toml error.
func tomlError(f File, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &input.Error{File: f.Path, Line: pe.Position.Line, Column: pe.Position.Col, Rule: "TOML syntax", Err: errors.New(pe.Message)}
	}
	return &input.Error{File: f.Path, Rule: "schema", Err: err}
}

// depNames lists the dependency names of a poetry table or a uv array of {name = ...}.
func depNames(v any) []string {
	var out []string
	switch t := v.(type) {
	case map[string]any:
		out = sortedKeys(t)
	case []map[string]any:
		for _, d := range t {
			if n, ok := d["name"].(string); ok {
				out = append(out, n)
			}
		}
	case []any:
		for _, d := range t {
			if m, ok := d.(map[string]any); ok {
				if n, ok := m["name"].(string); ok {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

func (e lockPoetry) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	pkgs, err := decodeTOMLLock(f, data)
	if err != nil {
		return Result{}, err
	}
	b := newBuilder(e.Name(), f)
	refs := map[string]string{}
	for _, p := range pkgs {
		if p.Name == "" || p.Version == "" {
			continue
		}
		ref := b.add(purl.NormalizePyPI(p.Name), p.Version, purl.PyPI(p.Name, p.Version))
		refs[purl.NormalizePyPI(p.Name)] = ref
		dev := p.Category == "dev"
		if len(p.Groups) > 0 {
			dev = !containsString(p.Groups, "main")
		}
		if dev {
			b.markDev(ref)
		}
	}
	for _, p := range pkgs {
		for _, d := range depNames(p.Dependencies) {
			b.edge(refs[purl.NormalizePyPI(p.Name)], refs[purl.NormalizePyPI(d)])
		}
	}
	if direct := pyprojectDirect(fsys, path.Join(path.Dir(f.Path), "pyproject.toml"), limits); direct != nil {
		b.knowsRoot()
		for _, n := range direct {
			b.direct(refs[purl.NormalizePyPI(n)])
		}
	}
	return b.result(), nil
}

// pyprojectDirect returns the dependency names pyproject.toml declares (PEP 621 [project] and
// Poetry's [tool.poetry.*dependencies]), or nil without a pyproject.toml.
func pyprojectDirect(fsys fs.FS, name string, limits input.Limits) []string {
	data, ok := readSibling(fsys, name, limits)
	if !ok {
		return nil
	}
	var pp struct {
		Project struct {
			Dependencies []string `toml:"dependencies"`
		} `toml:"project"`
		Tool struct {
			Poetry struct {
				Dependencies    map[string]any `toml:"dependencies"`
				DevDependencies map[string]any `toml:"dev-dependencies"`
				Group           map[string]struct {
					Dependencies map[string]any `toml:"dependencies"`
				} `toml:"group"`
			} `toml:"poetry"`
		} `toml:"tool"`
	}
	if _, err := toml.Decode(string(data), &pp); err != nil {
		return nil
	}
	var out []string
	for _, req := range pp.Project.Dependencies {
		if m := pep508Prefix.FindString(strings.TrimSpace(req)); m != "" {
			out = append(out, m)
		}
	}
	for _, n := range sortedKeys(pp.Tool.Poetry.Dependencies) {
		if n != "python" {
			out = append(out, n)
		}
	}
	out = append(out, sortedKeys(pp.Tool.Poetry.DevDependencies)...)
	for _, g := range sortedKeys(pp.Tool.Poetry.Group) {
		out = append(out, sortedKeys(pp.Tool.Poetry.Group[g].Dependencies)...)
	}
	return out
}

var pep508Prefix = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*`)

func (e lockUV) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	pkgs, err := decodeTOMLLock(f, data)
	if err != nil {
		return Result{}, err
	}
	b := newBuilder(e.Name(), f)
	refs := map[string]string{}
	var projects []pyLockPackage
	for _, p := range pkgs {
		if p.Source["editable"] != nil || p.Source["virtual"] != nil {
			projects = append(projects, p) // the project or a workspace member: first-party code
			continue
		}
		if p.Name == "" || p.Version == "" {
			continue
		}
		ref := b.add(purl.NormalizePyPI(p.Name), p.Version, purl.PyPI(p.Name, p.Version))
		refs[purl.NormalizePyPI(p.Name)] = ref
		if hs, ok := p.Sdist["hash"].(string); ok {
			if h, ok := prefixedHash(hs); ok {
				c := b.component(ref)
				c.Hashes = appendHashUnique(c.Hashes, h)
			}
		}
	}
	for _, p := range pkgs {
		from := refs[purl.NormalizePyPI(p.Name)]
		for _, d := range depNames(p.Dependencies) {
			b.edge(from, refs[purl.NormalizePyPI(d)])
		}
		for _, g := range sortedKeys(p.OptDeps) {
			for _, d := range depNames(p.OptDeps[g]) {
				b.edge(from, refs[purl.NormalizePyPI(d)])
			}
		}
	}
	if len(projects) > 0 {
		b.knowsRoot()
	}
	for _, p := range projects {
		for _, d := range depNames(p.Dependencies) {
			b.direct(refs[purl.NormalizePyPI(d)])
		}
		for _, g := range sortedKeys(p.DevDeps) {
			for _, d := range depNames(p.DevDeps[g]) {
				if r := refs[purl.NormalizePyPI(d)]; r != "" {
					b.direct(r)
					b.markDev(r)
				}
			}
		}
	}
	return b.result(), nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
