package health

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
)

// Limits for registry documents.
const (
	maxRegistryDoc   = 64 << 20 // the largest npm documents are tens of megabytes
	maxRegistryDepth = 64
	maxGoMod         = 16 << 20 // the go command's own limit for go.mod files
)

// ParseGoMod reads the go.mod of a module's newest version as the module proxy serves it
// (MODULE/@v/VERSION.mod): the module's "// Deprecated:" comment and its retract directives.
// latest is the release date of that version (from MODULE/@v/VERSION.info), zero when unknown.
func ParseGoMod(name string, data []byte, latest time.Time) (*Package, error) {
	if len(data) > maxGoMod {
		return nil, &input.Error{File: name, Rule: "size limit", Err: fmt.Errorf("larger than %d bytes", maxGoMod)}
	}
	f, err := modfile.ParseLax(name, data, nil)
	if err != nil {
		return nil, &input.Error{File: name, Rule: "go.mod", Err: err}
	}
	if f.Module == nil || f.Module.Mod.Path == "" {
		return nil, &input.Error{File: name, Rule: "go.mod", Err: errors.New("no module directive")}
	}
	p := &Package{PURL: purl.Golang(f.Module.Mod.Path, ""), Source: SourceGoProxy, LastRelease: latest}
	if f.Module.Deprecated != "" {
		p.Deprecated, p.DeprecationMessage = true, f.Module.Deprecated
	}
	for _, r := range f.Retract {
		p.Retractions = append(p.Retractions, Retraction{Low: r.Low, High: r.High, Rationale: r.Rationale})
	}
	return p, nil
}

// goInfo is the proxy's MODULE/@v/VERSION.info and MODULE/@latest.
type goInfo struct {
	Version string
	Time    time.Time
}

// ParseGoInfo reads a module proxy .info document.
func ParseGoInfo(name string, data []byte) (version string, t time.Time, err error) {
	var info goInfo
	if err := decodeJSON(name, data, &info); err != nil {
		return "", time.Time{}, err
	}
	if !semver.IsValid(info.Version) {
		return "", time.Time{}, &input.Error{File: name, Rule: "version", Err: fmt.Errorf("not a semantic version: %q", info.Version)}
	}
	return info.Version, info.Time.UTC(), nil
}

// npmDoc is the part of an npm registry document (a "packument") health reads.
type npmDoc struct {
	Name     string `json:"name"`
	Versions map[string]struct {
		Deprecated json.RawMessage `json:"deprecated"`
	} `json:"versions"`
	Time map[string]string `json:"time"`
}

// ParseNPM reads an npm registry document (https://registry.npmjs.org/NAME): each version's
// "deprecated" message and the release times.
func ParseNPM(name string, data []byte) (*Package, error) {
	var d npmDoc
	if err := decodeJSON(name, data, &d); err != nil {
		return nil, err
	}
	if d.Name == "" {
		return nil, &input.Error{File: name, Pointer: "/name", Rule: "npm document", Err: errors.New("no package name")}
	}
	p := &Package{PURL: purl.NPM(d.Name, ""), Source: SourceNPM}
	all := len(d.Versions) > 0
	for v, meta := range d.Versions {
		// "deprecated" is a message; false or "" means not deprecated (npm's undeprecate).
		var msg string
		if len(meta.Deprecated) > 0 && meta.Deprecated[0] == '"' {
			_ = json.Unmarshal(meta.Deprecated, &msg)
		}
		if msg == "" {
			all = false
			continue
		}
		if p.Versions == nil {
			p.Versions = map[string]VersionStatus{}
		}
		p.Versions[v] = VersionStatus{Deprecated: msg}
		if t, err := time.Parse(time.RFC3339, d.Time[v]); err == nil && t.After(p.LastRelease) {
			p.LastRelease = t.UTC()
		}
	}
	for v, ts := range d.Time {
		if _, ok := d.Versions[v]; !ok {
			continue // "created", "modified", and versions unpublished since
		}
		if t, err := time.Parse(time.RFC3339, ts); err == nil && t.After(p.LastRelease) {
			p.LastRelease = t.UTC()
		}
	}
	if all {
		// Every version deprecated is how npm deprecates a whole package.
		p.Deprecated = true
		for _, vs := range p.Versions {
			p.DeprecationMessage = vs.Deprecated
			break
		}
	}
	return p, nil
}

// crateAPI is crates.io's https://crates.io/api/v1/crates/NAME response.
type crateAPI struct {
	Crate *struct {
		Name string `json:"name"`
	} `json:"crate"`
	Versions []struct {
		Num         string    `json:"num"`
		Yanked      bool      `json:"yanked"`
		YankMessage *string   `json:"yank_message"`
		CreatedAt   time.Time `json:"created_at"`
	} `json:"versions"`
}

// crateIndexLine is one line of the crates.io index (git or sparse: https://index.crates.io/...).
type crateIndexLine struct {
	Name   string `json:"name"`
	Vers   string `json:"vers"`
	Yanked bool   `json:"yanked"`
}

// ParseCrate reads a crate's yanked versions from a crates.io API response (which also gives
// release dates) or from the crate's file in the crates.io index (one JSON object per line,
// without dates).
func ParseCrate(name string, data []byte) (*Package, error) {
	if len(data) > maxRegistryDoc {
		return nil, &input.Error{File: name, Rule: "size limit", Err: fmt.Errorf("larger than %d bytes", maxRegistryDoc)}
	}
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte(`{"crate"`)) || bytes.Contains(firstLine(trimmed), []byte(`"crate":`)) {
		var a crateAPI
		if err := decodeJSON(name, data, &a); err != nil {
			return nil, err
		}
		if a.Crate == nil || a.Crate.Name == "" {
			return nil, &input.Error{File: name, Pointer: "/crate/name", Rule: "crates.io response", Err: errors.New("no crate name")}
		}
		p := &Package{PURL: purl.New("cargo", "", a.Crate.Name, ""), Source: SourceCrates}
		for _, v := range a.Versions {
			if v.Yanked {
				vs := VersionStatus{Yanked: true}
				if v.YankMessage != nil {
					vs.Reason = *v.YankMessage
				}
				p.setVersion(v.Num, vs)
			}
			if v.CreatedAt.After(p.LastRelease) {
				p.LastRelease = v.CreatedAt.UTC()
			}
		}
		return p, nil
	}
	var p *Package
	for i, line := range bytes.Split(trimmed, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var l crateIndexLine
		if err := json.Unmarshal(line, &l); err != nil {
			return nil, &input.Error{File: name, Line: i + 1, Rule: "crates.io index", Err: err}
		}
		if l.Name == "" || l.Vers == "" {
			return nil, &input.Error{File: name, Line: i + 1, Rule: "crates.io index", Err: errors.New("entry without name or vers")}
		}
		if p == nil {
			p = &Package{PURL: purl.New("cargo", "", l.Name, ""), Source: SourceCrates}
		}
		if l.Yanked {
			p.setVersion(l.Vers, VersionStatus{Yanked: true})
		}
	}
	if p == nil {
		return nil, &input.Error{File: name, Rule: "crates.io index", Err: errors.New("no entries")}
	}
	return p, nil
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

func (p *Package) setVersion(v string, vs VersionStatus) {
	if p.Versions == nil {
		p.Versions = map[string]VersionStatus{}
	}
	p.Versions[v] = vs
}

// pypiDoc covers both PyPI JSON forms: the JSON API (https://pypi.org/pypi/NAME/json) and the
// JSON simple index (PEP 691, https://pypi.org/simple/NAME/ with PEP 792 project status).
type pypiDoc struct {
	// JSON API
	Info *struct {
		Name        string   `json:"name"`
		Classifiers []string `json:"classifiers"`
	} `json:"info"`
	Releases map[string][]pypiFile `json:"releases"`
	// Simple index
	Name          string     `json:"name"`
	Files         []pypiFile `json:"files"`
	ProjectStatus *struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"project-status"`
}

type pypiFile struct {
	Filename     string          `json:"filename"`
	Yanked       json.RawMessage `json:"yanked"` // JSON API: bool; simple index: bool or the reason
	YankedReason *string         `json:"yanked_reason"`
	UploadTime   string          `json:"upload_time_iso_8601"`
	UploadTime2  string          `json:"upload-time"`
}

// inactiveClassifier is the trove classifier a PyPI project declares itself inactive with.
const inactiveClassifier = "Development Status :: 7 - Inactive"

// ParsePyPI reads a PyPI project from its JSON API document or its JSON simple-index page: yanked
// releases (a release is yanked when all its files are), the project status markers of PEP 792
// (archived, deprecated, quarantined) and the "Inactive" development-status classifier, and the
// newest upload time.
func ParsePyPI(name string, data []byte) (*Package, error) {
	var d pypiDoc
	if err := decodeJSON(name, data, &d); err != nil {
		return nil, err
	}
	project := d.Name
	if d.Info != nil && d.Info.Name != "" {
		project = d.Info.Name
	}
	if project == "" {
		return nil, &input.Error{File: name, Pointer: "/info/name", Rule: "PyPI document", Err: errors.New("no project name")}
	}
	p := &Package{PURL: purl.PyPI(project, ""), Source: SourcePyPI}
	if d.Info != nil {
		for _, c := range d.Info.Classifiers {
			if c == inactiveClassifier {
				p.Archived = true
			}
		}
	}
	if s := d.ProjectStatus; s != nil {
		switch s.Status {
		case "archived":
			p.Archived = true
		case "deprecated":
			p.Deprecated, p.DeprecationMessage = true, s.Reason
		case "quarantined":
			p.Deprecated, p.DeprecationMessage = true, strings.TrimSpace("quarantined by PyPI "+s.Reason)
		}
	}
	releases := d.Releases
	if releases == nil && len(d.Files) > 0 {
		releases = map[string][]pypiFile{}
		for _, f := range d.Files {
			if v := pypiFileVersion(project, f.Filename); v != "" {
				releases[v] = append(releases[v], f)
			}
		}
	}
	for v, files := range releases {
		yanked, reason := len(files) > 0, ""
		for _, f := range files {
			y, r := f.yanked()
			yanked = yanked && y
			if r != "" {
				reason = r
			}
			ts := f.UploadTime
			if ts == "" {
				ts = f.UploadTime2
			}
			if t, err := time.Parse(time.RFC3339, ts); err == nil && t.After(p.LastRelease) && !y {
				p.LastRelease = t.UTC()
			}
		}
		if yanked {
			p.setVersion(v, VersionStatus{Yanked: true, Reason: reason})
		}
	}
	return p, nil
}

func (f pypiFile) yanked() (bool, string) {
	s := strings.TrimSpace(string(f.Yanked))
	switch {
	case s == "true":
		r := ""
		if f.YankedReason != nil {
			r = *f.YankedReason
		}
		return true, r
	case strings.HasPrefix(s, `"`):
		var r string
		_ = json.Unmarshal(f.Yanked, &r)
		return true, r
	}
	return false, ""
}

// pypiFileVersion is the version in a distribution file name: NAME-VERSION(-...).whl or
// NAME-VERSION.tar.gz / .zip, with the name compared normalized.
func pypiFileVersion(project, file string) string {
	base := file
	for _, ext := range []string{".whl", ".tar.gz", ".zip", ".tar.bz2", ".egg"} {
		base = strings.TrimSuffix(base, ext)
	}
	norm := purl.NormalizePyPI(project)
	// Split at each '-' and take the first split whose left side is the project's name.
	for i := 0; i < len(base); i++ {
		if base[i] == '-' && purl.NormalizePyPI(base[:i]) == norm {
			rest := base[i+1:]
			if j := strings.IndexByte(rest, '-'); j >= 0 {
				rest = rest[:j]
			}
			return rest
		}
	}
	return ""
}

// decodeJSON decodes an untrusted registry document with size and depth limits and positioned errors.
func decodeJSON(name string, data []byte, v any) error {
	if len(data) > maxRegistryDoc {
		return &input.Error{File: name, Rule: "size limit", Err: fmt.Errorf("larger than %d bytes", maxRegistryDoc)}
	}
	if err := input.CheckJSONDepth(name, data, maxRegistryDepth); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return input.JSONError(name, data, err)
	}
	return nil
}
