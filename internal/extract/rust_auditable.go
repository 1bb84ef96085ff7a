package extract

import (
	"bytes"
	"compress/zlib"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
)

// rustAuditable reads the dependency list that cargo-auditable embeds in Rust binaries: a
// zlib-compressed JSON document in the ELF section ".dep-v0" (format version 0 of
// https://github.com/rust-secure-code/cargo-auditable): packages with name, version, source
// ("crates.io", "git", "local", "registry", "builtin"), kind and dependency indexes, one of them
// the root.
type rustAuditable struct{}

func (rustAuditable) Name() string { return "rust/auditable" }

func (rustAuditable) Match(f File) bool {
	return f.Mode.IsRegular() && f.Size >= 1024 && (f.Mode&0o111 != 0 || strings.HasSuffix(f.Path, ".so"))
}

// maxAuditJSON bounds the decompressed dependency list; real ones are a few hundred KB at most.
const maxAuditJSON = 16 << 20

type auditInfo struct {
	Packages []struct {
		Name         string `json:"name"`
		Version      string `json:"version"`
		Source       string `json:"source"`
		Kind         string `json:"kind"`
		Dependencies []int  `json:"dependencies"`
		Root         bool   `json:"root"`
	} `json:"packages"`
}

func (e rustAuditable) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	if !bytes.HasPrefix(data, []byte("\x7fELF")) {
		return Result{}, nil
	}
	section, err := elfSection(data, ".dep-v0")
	if err != nil || section == nil {
		return Result{}, nil // not an ELF we can read, or built without cargo-auditable
	}
	zr, err := zlib.NewReader(bytes.NewReader(section))
	if err != nil {
		return Result{}, &input.Error{File: f.Path, Pointer: ".dep-v0", Rule: "cargo-auditable section", Err: err}
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxAuditJSON+1))
	if err != nil || len(raw) > maxAuditJSON {
		return Result{}, &input.Error{File: f.Path, Pointer: ".dep-v0", Rule: "cargo-auditable section",
			Err: fmt.Errorf("not a zlib stream of at most %d bytes: %v", maxAuditJSON, err)}
	}
	var info auditInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return Result{}, input.JSONError(f.Path+"#.dep-v0", raw, err)
	}
	b := newBuilder(e.Name(), f)
	refs := make([]string, len(info.Packages))
	for i, p := range info.Packages {
		if p.Name == "" || p.Version == "" {
			return Result{}, &input.Error{File: f.Path, Pointer: fmt.Sprintf(".dep-v0/packages/%d", i), Rule: "cargo-auditable package", Err: fmt.Errorf("name and version are required")}
		}
		if p.Root || p.Kind == "build" || p.Source == "local" || p.Source == "builtin" {
			continue // the binary's own crate, build scripts' crates and the toolchain are not shipped dependencies
		}
		pu := ""
		if p.Source == "crates.io" || p.Source == "" {
			pu = purl.New("cargo", "", p.Name, p.Version)
		}
		refs[i] = b.add(p.Name, p.Version, pu)
	}
	b.knowsRoot()
	for i, p := range info.Packages {
		for _, d := range p.Dependencies {
			if d < 0 || d >= len(refs) || refs[d] == "" {
				continue
			}
			if p.Root {
				b.direct(refs[d])
			} else if refs[i] != "" {
				b.edge(refs[i], refs[d])
			}
		}
	}
	return b.result(), nil
}

// elfSection returns the content of the named section, nil when there is none. debug/elf is not
// hardened against every malformed input, so a panic inside it is an unreadable file, not a crash.
func elfSection(data []byte, name string) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("malformed ELF: %v", r)
		}
	}()
	ef, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	s := ef.Section(name)
	if s == nil || s.Type == elf.SHT_NOBITS || s.Size > uint64(len(data)) {
		return nil, nil
	}
	return s.Data()
}
