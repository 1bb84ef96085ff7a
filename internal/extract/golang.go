package extract

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha512"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime/debug"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// PropGoSum carries a module's go.sum (or build info) checksum, "h1:" plus base64 SHA-256 of
// the module's file tree; it is not a hash of a deployable file, so it is not an sbom.Hash.
const (
	PropGoSum       = "siegel:go-sum"
	PropVCSRevision = "siegel:vcs-revision" // commit a Go binary was built from
)

func goExtractors() []Extractor { return []Extractor{goModExtractor{}, goBinaryExtractor{}} }

// goModExtractor reads go.mod: every required module (Go 1.17+ lists the whole module graph),
// with replace directives applied; requirements without "// indirect" are direct dependencies.
type goModExtractor struct{}

func (goModExtractor) Name() string      { return "go/mod" }
func (goModExtractor) Match(f File) bool { return path.Base(f.Path) == "go.mod" && f.Mode.IsRegular() }

func (e goModExtractor) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	mf, err := modfile.Parse(f.Path, data, nil)
	if err != nil {
		return Result{}, goModError(f.Path, err)
	}
	sums := goSums(fsys, path.Join(path.Dir(f.Path), "go.sum"), limits)

	replace := map[string]module.Version{} // "path" or "path@version" -> replacement
	for _, r := range mf.Replace {
		key := r.Old.Path
		if r.Old.Version != "" {
			key += "@" + r.Old.Version
		}
		replace[key] = r.New
	}
	var res Result
	root := sbom.Dependency{Ref: RootRef}
	for _, req := range mf.Require {
		mod := req.Mod
		if r, ok := replace[mod.Path+"@"+mod.Version]; ok {
			mod = r
		} else if r, ok := replace[mod.Path]; ok {
			mod = r
		}
		if mod.Version == "" {
			// Replaced by a local directory: the code is part of this source tree, not a
			// separately versioned component.
			continue
		}
		if err := module.Check(mod.Path, mod.Version); err != nil {
			pos := req.Syntax.Start
			return Result{}, &input.Error{File: f.Path, Line: pos.Line, Column: pos.LineRune, Rule: "module version", Err: err}
		}
		c := sbom.Component{
			Ref: mod.Path + "@" + mod.Version, Type: "library", Name: mod.Path, Version: mod.Version,
			PURL: purl.Golang(mod.Path, mod.Version),
			Properties: []sbom.Property{
				{Name: PropLocation, Value: f.Path},
				{Name: PropExtractor, Value: e.Name()},
			},
		}
		if mod != req.Mod {
			c.Properties = append(c.Properties, sbom.Property{Name: "siegel:go-replaces", Value: req.Mod.Path + "@" + req.Mod.Version})
		}
		if s, ok := sums[mod.Path+"@"+mod.Version]; ok {
			c.Properties = append(c.Properties, sbom.Property{Name: PropGoSum, Value: s})
		}
		res.Components = append(res.Components, c)
		if !req.Indirect {
			root.DependsOn = append(root.DependsOn, c.Ref)
		}
	}
	if mf.Go != nil && semver.Compare("v"+mf.Go.Version, "v1.17") >= 0 {
		// From Go 1.17 on, go.mod must list every module that provides a package the main
		// module imports, without "// indirect": the direct list is complete.
		root.Completeness = sbom.CompletenessComplete
	}
	res.Dependencies = append(res.Dependencies, root)
	return res, nil
}

// goModError positions a modfile error; modfile reports "file:line:col: msg" or a list of them.
func goModError(name string, err error) error {
	var el modfile.ErrorList
	if errors.As(err, &el) && len(el) > 0 {
		return &input.Error{File: name, Line: el[0].Pos.Line, Column: el[0].Pos.LineRune, Rule: "go.mod syntax", Err: el[0].Err}
	}
	return &input.Error{File: name, Rule: "go.mod syntax", Err: err}
}

// goSums reads the module checksums of a go.sum beside go.mod; a missing or unreadable go.sum
// just means no checksums.
func goSums(fsys fs.FS, name string, limits input.Limits) map[string]string {
	sums := map[string]string{}
	info, err := fs.Stat(fsys, name)
	if err != nil || !info.Mode().IsRegular() {
		return sums
	}
	data, err := readFile(fsys, File{Path: name, Mode: info.Mode(), Size: info.Size()}, limits)
	if err != nil {
		return sums
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && !strings.HasSuffix(f[1], "/go.mod") {
			sums[f[0]+"@"+f[1]] = f[2]
		}
	}
	return sums
}

// goBinaryExtractor reads the build information the Go toolchain embeds in every binary: the
// main module, each dependency module (after replacement) with its checksum, the Go version
// (the standard library is a component too: its vulnerabilities are the binary's), and the
// VCS revision.
type goBinaryExtractor struct{}

func (goBinaryExtractor) Name() string { return "go/binary" }

func (goBinaryExtractor) Match(f File) bool {
	if !f.Mode.IsRegular() || f.Size < 1024 {
		return false
	}
	if f.Mode&0o111 != 0 {
		return true
	}
	ext := path.Ext(f.Path)
	return ext == ".exe" || ext == ".so" || ext == ".dll"
}

var executableMagic = [][]byte{
	[]byte("\x7fELF"), []byte("MZ"), // ELF, PE
	{0xfe, 0xed, 0xfa, 0xce}, {0xce, 0xfa, 0xed, 0xfe}, {0xfe, 0xed, 0xfa, 0xcf}, {0xcf, 0xfa, 0xed, 0xfe}, // Mach-O
	[]byte("\x00asm"), // WebAssembly
}

// IsExecutable reports whether a file's first bytes are those of an executable: ELF, PE, Mach-O
// or WebAssembly.
func IsExecutable(head []byte) bool {
	for _, m := range executableMagic {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	return false
}

func (e goBinaryExtractor) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	file, err := fsys.Open(f.Path)
	if err != nil {
		return Result{}, &input.Error{File: f.Path, Rule: "read", Err: err}
	}
	defer file.Close()
	var head [4]byte
	n, _ := io.ReadFull(file, head[:])
	if !IsExecutable(head[:n]) {
		return Result{}, nil // a script or data file with the executable bit
	}
	ra, ok := file.(io.ReaderAt)
	if !ok {
		data, err := readFile(fsys, f, limits)
		if err != nil {
			return Result{}, err
		}
		ra = bytes.NewReader(data)
	}
	info, err := buildinfo.Read(ra)
	if err != nil {
		return Result{}, nil // not a Go binary, or one built without module support
	}
	res := goBuildInfoResult(f.Path, e.Name(), info)
	if len(res.Components) > 0 && strings.HasPrefix(res.Components[0].Ref, "main:") {
		// The binary is the main module's deployable file: its SHA-512 hash and properties
		// (BSI TR-03183-2 5.2.2) describe the main component.
		h := sha512.New()
		if _, err := io.Copy(h, io.NewSectionReader(ra, 0, f.Size)); err != nil {
			return Result{}, &input.Error{File: f.Path, Rule: "read", Err: err}
		}
		main := &res.Components[0]
		main.Hashes = append(main.Hashes, sbom.Hash{Algorithm: sbom.SHA512, Value: hex.EncodeToString(h.Sum(nil))})
		main.Properties = append(main.Properties,
			sbom.Property{Name: sbom.PropBSIExecutable, Value: sbom.ValExecutable},
			sbom.Property{Name: sbom.PropBSIArchive, Value: sbom.ValNoArchive},
			sbom.Property{Name: sbom.PropBSIStructured, Value: sbom.ValUnstructured})
	}
	return res, nil
}

func goBuildInfoResult(location, extractor string, info *debug.BuildInfo) Result {
	props := func(extra ...sbom.Property) []sbom.Property {
		return append([]sbom.Property{{Name: PropLocation, Value: location}, {Name: PropExtractor, Value: extractor}}, extra...)
	}
	var res Result
	mainRef := ""
	if info.Main.Path != "" {
		main := sbom.Component{
			Ref: "main:" + info.Main.Path, Type: "application", Name: info.Main.Path, Version: info.Main.Version,
			Files: []string{path.Base(location)}, Properties: props(),
		}
		if v := info.Main.Version; v != "" && v != "(devel)" {
			main.PURL = purl.Golang(info.Main.Path, v)
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				main.Properties = append(main.Properties, sbom.Property{Name: PropVCSRevision, Value: s.Value})
			}
			if s.Key == "CGO_ENABLED" && s.Value == "1" {
				// Built with cgo: the binary links C code (memory safety, internal/health).
				main.Properties = append(main.Properties, sbom.Property{Name: "siegel:native", Value: "cgo"})
			}
		}
		mainRef = main.Ref
		res.Components = append(res.Components, main)
		res.Dependencies = append(res.Dependencies, sbom.Dependency{Ref: RootRef, DependsOn: []string{mainRef}})
	}
	var deps []string
	if v := goStdlibVersion(info.GoVersion); v != "" {
		std := sbom.Component{Ref: "stdlib@" + v, Type: "library", Name: "stdlib", Version: v,
			PURL: purl.New("golang", "", "stdlib", v), Properties: props()}
		res.Components = append(res.Components, std)
		deps = append(deps, std.Ref)
	}
	for _, d := range info.Deps {
		mod := d
		if d.Replace != nil {
			mod = d.Replace
		}
		if mod.Version == "" || mod.Version == "(devel)" {
			continue // replaced by a local directory
		}
		c := sbom.Component{Ref: mod.Path + "@" + mod.Version, Type: "library", Name: mod.Path, Version: mod.Version,
			PURL: purl.Golang(mod.Path, mod.Version), Properties: props()}
		if mod.Sum != "" {
			c.Properties = append(c.Properties, sbom.Property{Name: PropGoSum, Value: mod.Sum})
		}
		if d.Replace != nil {
			c.Properties = append(c.Properties, sbom.Property{Name: "siegel:go-replaces", Value: d.Path + "@" + d.Version})
		}
		res.Components = append(res.Components, c)
		deps = append(deps, c.Ref)
	}
	if mainRef != "" && len(deps) > 0 {
		res.Dependencies = append(res.Dependencies, sbom.Dependency{Ref: mainRef, DependsOn: deps})
	}
	return res
}

// goStdlibVersion turns "go1.22.3" (possibly with " X:..." experiment suffixes) into the module
// version form "v1.22.3" that Go vulnerability data uses for the standard library.
func goStdlibVersion(goVersion string) string {
	v, _, _ := strings.Cut(goVersion, " ")
	v, ok := strings.CutPrefix(v, "go")
	if !ok || v == "" {
		return ""
	}
	if strings.Count(v, ".") == 1 {
		if i := strings.IndexAny(v, "abcdefghijklmnopqrstuvwxyz"); i < 0 {
			v += ".0"
		}
	}
	return fmt.Sprintf("v%s", v)
}
