package extract

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
)

func osExtractors() []Extractor { return []Extractor{dbDpkg{}, dbApk{}, dbOpkg{}, dbRPM{}} }

// osRelease is what /etc/os-release says about the distribution.
type osRelease struct{ ID, VersionID, VersionCodename string }

// readOSRelease reads etc/os-release (or usr/lib/os-release) relative to the root that holds the
// package database at dbPath ("var/lib/dpkg/status" -> the root is three levels up).
func readOSRelease(fsys fs.FS, root string, limits input.Limits) osRelease {
	var r osRelease
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		data, ok := readSibling(fsys, path.Join(root, p), limits)
		if !ok {
			continue
		}
		for line := range strings.Lines(string(data)) {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if !ok {
				continue
			}
			v = strings.Trim(v, `"'`)
			switch k {
			case "ID":
				r.ID = v
			case "VERSION_ID":
				r.VersionID = v
			case "VERSION_CODENAME":
				r.VersionCodename = v
			}
		}
		return r
	}
	return r
}

// rootOf returns the filesystem root that contains a database at rel (a known suffix of p).
func rootOf(p, rel string) string {
	root := strings.TrimSuffix(p, rel)
	root = strings.TrimSuffix(root, "/")
	if root == "" {
		return "."
	}
	return root
}

// stanza is one RFC 822-style paragraph of a dpkg or opkg status file.
type stanza struct {
	fields map[string]string
	line   int
}

// parseStanzas reads paragraphs separated by blank lines; continuation lines (starting with a
// space) belong to the previous field.
func parseStanzas(name string, data []byte) ([]stanza, error) {
	var out []stanza
	cur := stanza{fields: map[string]string{}}
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			if len(cur.fields) > 0 {
				out = append(out, cur)
			}
			cur, last = stanza{fields: map[string]string{}}, ""
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "" {
				return nil, &input.Error{File: name, Line: n, Column: 1, Rule: "control syntax", Err: fmt.Errorf("continuation line without a field")}
			}
			cur.fields[last] += "\n" + strings.TrimSpace(line)
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(k, " \t") {
			return nil, &input.Error{File: name, Line: n, Column: 1, Rule: "control syntax", Err: fmt.Errorf("line is not \"Field: value\": %q", truncateText(line))}
		}
		if len(cur.fields) == 0 {
			cur.line = n
		}
		last = k
		cur.fields[k] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return nil, &input.Error{File: name, Line: n + 1, Rule: "read", Err: err}
	}
	if len(cur.fields) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

// dependsNames lists the package names of a Depends field: "a (>= 1), b | c, d:any".
// For alternatives, the first one that is installed counts.
func dependsNames(field string, installed func(string) bool) []string {
	var out []string
	for _, group := range strings.Split(field, ",") {
		alts := strings.Split(group, "|")
		for i, alt := range alts {
			name := strings.TrimSpace(alt)
			if j := strings.IndexAny(name, " ([<"); j >= 0 {
				name = name[:j]
			}
			name, _, _ = strings.Cut(name, ":")
			if name == "" {
				continue
			}
			if installed(name) || i == len(alts)-1 {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// dbDpkg reads the dpkg status database of Debian and Ubuntu systems. The source package is kept:
// Debian's vulnerability data is keyed by source package.
type dbDpkg struct{}

func (dbDpkg) Name() string { return "os/dpkg" }
func (dbDpkg) Match(f File) bool {
	return f.Path == "var/lib/dpkg/status" || strings.HasSuffix(f.Path, "/var/lib/dpkg/status") ||
		strings.Contains(f.Path, "var/lib/dpkg/status.d/") && !strings.HasSuffix(f.Path, ".md5sums")
}

func (e dbDpkg) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	stanzas, err := parseStanzas(f.Path, data)
	if err != nil {
		return Result{}, err
	}
	root := f.Path
	if i := strings.Index(root, "var/lib/dpkg/"); i >= 0 {
		root = rootOf(root[:i], "")
	}
	rel := readOSRelease(fsys, root, limits)
	ns, distro := "debian", ""
	if rel.ID == "ubuntu" {
		ns = "ubuntu"
	}
	if rel.ID != "" && rel.VersionID != "" {
		distro = rel.ID + "-" + rel.VersionID
	}
	b := newBuilder(e.Name(), f)
	installed := map[string]string{} // name -> ref
	var pkgs []stanza
	for _, s := range stanzas {
		status := s.fields["Status"]
		if status != "" && !strings.HasSuffix(status, " installed") {
			continue // removed, config-files, half-installed
		}
		name, version := s.fields["Package"], s.fields["Version"]
		if name == "" || version == "" {
			return Result{}, &input.Error{File: f.Path, Line: s.line, Rule: "control syntax", Err: fmt.Errorf("stanza without Package or Version")}
		}
		arch := s.fields["Architecture"]
		srcName, srcVersion := name, version
		if src := s.fields["Source"]; src != "" {
			srcName = src
			if n, v, ok := strings.Cut(src, " ("); ok {
				srcName, srcVersion = n, strings.TrimSuffix(v, ")")
			}
		}
		p := purl.New("deb", ns, name, version, "arch", arch, "distro", distro)
		props := []sbom.Property{{Name: PropSourcePackage, Value: srcName}}
		if srcVersion != version {
			props = append(props, sbom.Property{Name: PropSourceVersion, Value: srcVersion})
		}
		ref := b.add(name, version, p, props...)
		installed[name] = ref
		pkgs = append(pkgs, s)
	}
	isInstalled := func(n string) bool { _, ok := installed[n]; return ok }
	for _, s := range pkgs {
		from := installed[s.fields["Package"]]
		for _, d := range dependsNames(s.fields["Pre-Depends"]+","+s.fields["Depends"], isInstalled) {
			b.edge(from, installed[d])
		}
	}
	return b.result(), nil
}

// dbOpkg reads OpenWrt's opkg status database (same stanza format; versions may only be in the
// per-package control files).
type dbOpkg struct{}

func (dbOpkg) Name() string { return "os/opkg" }
func (dbOpkg) Match(f File) bool {
	return f.Path == "usr/lib/opkg/status" || strings.HasSuffix(f.Path, "/usr/lib/opkg/status")
}

func (e dbOpkg) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	stanzas, err := parseStanzas(f.Path, data)
	if err != nil {
		return Result{}, err
	}
	root := rootOf(f.Path, "usr/lib/opkg/status")
	distro := ""
	if rel, ok := readSibling(fsys, path.Join(root, "etc/openwrt_release"), limits); ok {
		for line := range strings.Lines(string(rel)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "DISTRIB_RELEASE="); ok {
				distro = "openwrt-" + strings.Trim(v, `"'`)
			}
		}
	}
	b := newBuilder(e.Name(), f)
	installed := map[string]string{}
	var pkgs []stanza
	for _, s := range stanzas {
		name := s.fields["Package"]
		if name == "" || (s.fields["Status"] != "" && !strings.HasSuffix(s.fields["Status"], " installed")) {
			continue
		}
		version, arch := s.fields["Version"], s.fields["Architecture"]
		if version == "" {
			if ctl, ok := readSibling(fsys, path.Join(root, "usr/lib/opkg/info", name+".control"), limits); ok {
				if cs, err := parseStanzas(name+".control", ctl); err == nil && len(cs) > 0 {
					version = cs[0].fields["Version"]
					arch = cmpOrString(arch, cs[0].fields["Architecture"])
				}
			}
		}
		if version == "" {
			continue
		}
		ref := b.add(name, version, purl.New("opkg", "openwrt", name, version, "arch", arch, "distro", distro))
		if src := s.fields["SourceName"]; src != "" {
			c := b.component(ref)
			c.Properties = append(c.Properties, sbom.Property{Name: PropSourcePackage, Value: src})
		}
		installed[name] = ref
		pkgs = append(pkgs, s)
	}
	isInstalled := func(n string) bool { _, ok := installed[n]; return ok }
	for _, s := range pkgs {
		for _, d := range dependsNames(s.fields["Depends"], isInstalled) {
			b.edge(installed[s.fields["Package"]], installed[d])
		}
	}
	return b.result(), nil
}

// dbApk reads Alpine's installed database: records of one-letter fields separated by blank lines
// (P name, V version, A arch, o origin, L licence, D depends, p provides, C checksum).
type dbApk struct{}

func (dbApk) Name() string { return "os/apk" }
func (dbApk) Match(f File) bool {
	return f.Path == "lib/apk/db/installed" || strings.HasSuffix(f.Path, "/lib/apk/db/installed")
}

func (e dbApk) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	type apkRecord struct {
		name, version, arch, origin, license, checksum string
		depends, provides                              []string
		line                                           int
	}
	var recs []apkRecord
	cur := apkRecord{}
	flush := func() {
		if cur.name != "" {
			recs = append(recs, cur)
		}
		cur = apkRecord{}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			return Result{}, &input.Error{File: f.Path, Line: n, Column: 1, Rule: "apk database syntax", Err: fmt.Errorf("line is not \"X:value\": %q", truncateText(line))}
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			cur.name, cur.line = v, n
		case 'V':
			cur.version = v
		case 'A':
			cur.arch = v
		case 'o':
			cur.origin = v
		case 'L':
			cur.license = v
		case 'C':
			cur.checksum = v
		case 'D':
			cur.depends = strings.Fields(v)
		case 'p':
			cur.provides = strings.Fields(v)
		}
	}
	flush()
	distro := readOSRelease(fsys, rootOf(f.Path, "lib/apk/db/installed"), limits).VersionID
	b := newBuilder(e.Name(), f)
	byName := map[string]string{}
	provider := map[string]string{}
	for _, r := range recs {
		if r.version == "" {
			return Result{}, &input.Error{File: f.Path, Line: r.line, Rule: "apk database syntax", Err: fmt.Errorf("package %s has no V: version", r.name)}
		}
		ref := b.add(r.name, r.version, purl.New("apk", "alpine", r.name, r.version, "arch", r.arch, "distro", distro))
		c := b.component(ref)
		if r.origin != "" {
			c.Properties = append(c.Properties, sbom.Property{Name: PropSourcePackage, Value: r.origin})
		}
		if r.license != "" {
			c.Licenses = []sbom.License{{Expression: r.license, Kind: sbom.LicenseDeclared}}
		}
		if sum, ok := strings.CutPrefix(r.checksum, "Q1"); ok {
			if raw, err := base64.StdEncoding.DecodeString(sum); err == nil && len(raw) == 20 {
				c.Hashes = appendHashUnique(c.Hashes, sbom.Hash{Algorithm: sbom.SHA1, Value: hex.EncodeToString(raw)})
			}
		}
		byName[r.name] = ref
		for _, p := range r.provides {
			p, _, _ = strings.Cut(p, "=")
			provider[p] = ref
		}
	}
	for _, r := range recs {
		for _, d := range r.depends {
			if strings.HasPrefix(d, "!") {
				continue // a conflict, not a dependency
			}
			if i := strings.IndexAny(d, "<>=~"); i >= 0 {
				d = d[:i]
			}
			to := byName[d]
			if to == "" {
				to = provider[d]
			}
			b.edge(byName[r.name], to)
		}
	}
	return b.result(), nil
}

func cmpOrString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
