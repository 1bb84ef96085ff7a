package extract

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
)

func otherLanguageExtractors() []Extractor {
	return []Extractor{lockCargo{}, lockGemfile{}, lockComposer{}, lockGradle{}, manifestPom{}, lockNuGet{}, lockPubspec{}, lockMix{}, rustAuditable{}}
}

// lockCargo reads Cargo.lock. Packages without a source are the workspace's own crates: not
// components, and their dependencies are the direct ones.
type lockCargo struct{}

func (lockCargo) Name() string      { return "rust/cargo-lock" }
func (lockCargo) Match(f File) bool { return path.Base(f.Path) == "Cargo.lock" }

func (e lockCargo) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	var lock struct {
		Package []struct {
			Name         string   `toml:"name"`
			Version      string   `toml:"version"`
			Source       string   `toml:"source"`
			Checksum     string   `toml:"checksum"`
			Dependencies []string `toml:"dependencies"`
		} `toml:"package"`
	}
	if err := decodeTOML(f, data, &lock); err != nil {
		return Result{}, err
	}
	b := newBuilder(e.Name(), f)
	byName := map[string][]string{} // name -> refs (several versions may be locked)
	refOf := map[string]string{}    // "name version" -> ref
	for _, p := range lock.Package {
		if p.Source == "" {
			continue
		}
		ref := b.add(p.Name, p.Version, purl.New("cargo", "", p.Name, p.Version))
		byName[p.Name] = append(byName[p.Name], ref)
		refOf[p.Name+" "+p.Version] = ref
		if p.Checksum != "" && sbom.ValidHashValue(sbom.SHA256, p.Checksum) {
			c := b.component(ref)
			c.Hashes = appendHashUnique(c.Hashes, sbom.Hash{Algorithm: sbom.SHA256, Value: strings.ToLower(p.Checksum)})
		}
	}
	// A dependency is "name" when one version is locked, "name version" or "name version (source)"
	// when several are.
	resolve := func(dep string) string {
		fields := strings.Fields(dep)
		if len(fields) == 0 {
			return ""
		}
		if len(fields) >= 2 {
			return refOf[fields[0]+" "+fields[1]]
		}
		if refs := byName[fields[0]]; len(refs) == 1 {
			return refs[0]
		}
		return ""
	}
	b.knowsRoot()
	for _, p := range lock.Package {
		from := refOf[p.Name+" "+p.Version]
		for _, d := range p.Dependencies {
			if p.Source == "" {
				b.direct(resolve(d))
			} else {
				b.edge(from, resolve(d))
			}
		}
	}
	return b.result(), nil
}

// lockGemfile reads Gemfile.lock: specs indented four spaces ("name (version)", possibly with a
// platform "1.2.3-x86_64-linux"), their dependencies six; DEPENDENCIES lists the direct gems.
type lockGemfile struct{}

func (lockGemfile) Name() string { return "ruby/gemfile-lock" }
func (lockGemfile) Match(f File) bool {
	b := path.Base(f.Path)
	return b == "Gemfile.lock" || b == "gems.locked"
}

func (e lockGemfile) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	b := newBuilder(e.Name(), f)
	byName := map[string]string{}
	type edge struct{ from, to string }
	var edges []edge
	var direct []string
	section, cur := "", ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		text := strings.TrimSpace(line)
		switch {
		case indent == 0:
			section = text
		case section == "DEPENDENCIES" && indent == 2:
			name, _, _ := strings.Cut(text, " ")
			direct = append(direct, strings.TrimSuffix(name, "!"))
		case (section == "GEM" || section == "GIT" || section == "PATH") && indent == 4:
			name, ver, ok := strings.Cut(text, " ")
			if !ok || !strings.HasPrefix(ver, "(") || !strings.HasSuffix(ver, ")") {
				return Result{}, &input.Error{File: f.Path, Line: n, Column: 5, Rule: "Gemfile.lock syntax", Err: fmt.Errorf("spec must be \"name (version)\": %q", truncateText(text))}
			}
			ver = strings.Trim(ver, "()")
			platform := ""
			if i := strings.IndexByte(ver, '-'); i >= 0 {
				ver, platform = ver[:i], ver[i+1:]
			}
			p := purl.New("gem", "", name, ver, "platform", platform)
			cur = b.add(name, ver, p)
			byName[name] = cur
		case (section == "GEM" || section == "GIT" || section == "PATH") && indent == 6 && cur != "":
			name, _, _ := strings.Cut(text, " ")
			edges = append(edges, edge{cur, name})
		}
	}
	for _, ed := range edges {
		b.edge(ed.from, byName[ed.to])
	}
	if direct != nil {
		b.knowsRoot()
		for _, d := range direct {
			b.direct(byName[d])
		}
	}
	return b.result(), nil
}

// lockComposer reads composer.lock: "packages" are needed at run time, "packages-dev" for
// development; each package's "require" names its dependencies.
type lockComposer struct{}

func (lockComposer) Name() string      { return "php/composer-lock" }
func (lockComposer) Match(f File) bool { return path.Base(f.Path) == "composer.lock" }

type composerPackage struct {
	Name    string            `json:"name"`
	Version string            `json:"version"`
	Require map[string]string `json:"require"`
	License []string          `json:"license"`
	Dist    struct {
		Shasum string `json:"shasum"`
	} `json:"dist"`
}

func (e lockComposer) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	if err := input.CheckJSONDepth(f.Path, data, limits.MaxDepth); err != nil {
		return Result{}, err
	}
	var lock struct {
		Packages    []composerPackage `json:"packages"`
		PackagesDev []composerPackage `json:"packages-dev"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return Result{}, input.JSONError(f.Path, data, err)
	}
	b := newBuilder(e.Name(), f)
	byName := map[string]string{}
	for i, group := range [][]composerPackage{lock.Packages, lock.PackagesDev} {
		for _, p := range group {
			vendor, name, ok := strings.Cut(p.Name, "/")
			if !ok || p.Version == "" {
				continue
			}
			ref := b.add(p.Name, p.Version, purl.New("composer", vendor, name, p.Version))
			byName[strings.ToLower(p.Name)] = ref
			c := b.component(ref)
			if len(p.License) > 0 {
				c.Licenses = []sbom.License{{Expression: strings.Join(p.License, " OR "), Kind: sbom.LicenseDeclared}}
			}
			if sbom.ValidHashValue(sbom.SHA1, p.Dist.Shasum) {
				c.Hashes = appendHashUnique(c.Hashes, sbom.Hash{Algorithm: sbom.SHA1, Value: strings.ToLower(p.Dist.Shasum)})
			}
			if i == 1 {
				b.markDev(ref)
			}
		}
	}
	for _, group := range [][]composerPackage{lock.Packages, lock.PackagesDev} {
		for _, p := range group {
			for _, d := range sortedKeys(p.Require) {
				b.edge(byName[strings.ToLower(p.Name)], byName[strings.ToLower(d)])
			}
		}
	}
	return b.result(), nil
}

// lockGradle reads gradle.lockfile: "group:artifact:version=configuration,..." lines. A
// dependency locked only for test configurations is development-only.
type lockGradle struct{}

func (lockGradle) Name() string { return "java/gradle-lockfile" }
func (lockGradle) Match(f File) bool {
	b := path.Base(f.Path)
	return b == "gradle.lockfile" || (path.Ext(b) == ".lockfile" && path.Base(path.Dir(f.Path)) == "dependency-locks")
}

func (e lockGradle) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	b := newBuilder(e.Name(), f)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || strings.HasPrefix(line, "empty=") {
			continue
		}
		coord, confs, _ := strings.Cut(line, "=")
		parts := strings.Split(coord, ":")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return Result{}, &input.Error{File: f.Path, Line: n, Column: 1, Rule: "gradle.lockfile syntax",
				Err: fmt.Errorf("want group:artifact:version=configurations, got %q", truncateText(line))}
		}
		ref := b.add(parts[0]+":"+parts[1], parts[2], purl.Maven(parts[0], parts[1], parts[2]))
		c := b.component(ref)
		c.Group, c.Name = parts[0], parts[1]
		testOnly := confs != ""
		for _, conf := range strings.Split(confs, ",") {
			if !strings.HasPrefix(strings.TrimSpace(conf), "test") {
				testOnly = false
			}
		}
		if testOnly {
			b.markDev(ref)
		}
	}
	return b.result(), nil
}

// lockNuGet reads packages.lock.json: per target framework, "Direct", "Transitive" and
// "Project" dependencies with their own dependency maps; contentHash is a base64 SHA-512.
type lockNuGet struct{}

func (lockNuGet) Name() string      { return "dotnet/packages-lock" }
func (lockNuGet) Match(f File) bool { return path.Base(f.Path) == "packages.lock.json" }

func (e lockNuGet) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	if err := input.CheckJSONDepth(f.Path, data, limits.MaxDepth); err != nil {
		return Result{}, err
	}
	var lock struct {
		Version      int `json:"version"`
		Dependencies map[string]map[string]struct {
			Type         string            `json:"type"`
			Resolved     string            `json:"resolved"`
			ContentHash  string            `json:"contentHash"`
			Dependencies map[string]string `json:"dependencies"`
		} `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return Result{}, input.JSONError(f.Path, data, err)
	}
	b := newBuilder(e.Name(), f)
	b.knowsRoot()
	for _, fw := range sortedKeys(lock.Dependencies) {
		pkgs := lock.Dependencies[fw]
		refs := map[string]string{}
		for _, name := range sortedKeys(pkgs) {
			p := pkgs[name]
			if p.Type == "Project" || p.Resolved == "" {
				continue
			}
			ref := b.add(name, p.Resolved, purl.New("nuget", "", name, p.Resolved))
			refs[strings.ToLower(name)] = ref
			if raw, err := base64.StdEncoding.DecodeString(p.ContentHash); err == nil && len(raw) == 64 {
				c := b.component(ref)
				c.Hashes = appendHashUnique(c.Hashes, sbom.Hash{Algorithm: sbom.SHA512, Value: hex.EncodeToString(raw)})
			}
			if p.Type == "Direct" {
				b.direct(ref)
			}
		}
		for _, name := range sortedKeys(pkgs) {
			for _, d := range sortedKeys(pkgs[name].Dependencies) {
				b.edge(refs[strings.ToLower(name)], refs[strings.ToLower(d)])
			}
		}
	}
	return b.result(), nil
}

// lockPubspec reads Dart's pubspec.lock (YAML): "direct main", "direct dev" and "transitive"
// packages from hosted, git, path or sdk sources (sdk packages are part of the SDK).
type lockPubspec struct{}

func (lockPubspec) Name() string      { return "dart/pubspec-lock" }
func (lockPubspec) Match(f File) bool { return path.Base(f.Path) == "pubspec.lock" }

func (e lockPubspec) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	var lock struct {
		Packages map[string]struct {
			Dependency  string `yaml:"dependency"`
			Source      string `yaml:"source"`
			Version     string `yaml:"version"`
			Description any    `yaml:"description"`
		} `yaml:"packages"`
	}
	if err := yaml.Unmarshal(data, &lock); err != nil {
		return Result{}, yamlError(f.Path, err)
	}
	b := newBuilder(e.Name(), f)
	b.knowsRoot()
	for _, name := range sortedKeys(lock.Packages) {
		p := lock.Packages[name]
		if p.Source == "sdk" || p.Version == "" {
			continue
		}
		ref := b.add(name, p.Version, purl.New("pub", "", name, p.Version))
		if d, ok := p.Description.(map[string]any); ok {
			if s, ok := d["sha256"].(string); ok && sbom.ValidHashValue(sbom.SHA256, s) {
				c := b.component(ref)
				c.Hashes = appendHashUnique(c.Hashes, sbom.Hash{Algorithm: sbom.SHA256, Value: strings.ToLower(s)})
			}
		}
		switch p.Dependency {
		case "direct main", "direct overridden":
			b.direct(ref)
		case "direct dev":
			b.direct(ref)
			b.markDev(ref)
		}
	}
	return b.result(), nil
}

// decodeTOML decodes TOML into v with positioned errors.
func decodeTOML(f File, data []byte, v any) error {
	_, err := tomlDecode(string(data), v)
	if err != nil {
		return tomlError(f, err)
	}
	return nil
}
