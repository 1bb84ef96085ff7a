// Package extract finds the components of a product in a source tree (lockfiles, manifests,
// Go binaries) or a root filesystem (dpkg, apk, opkg and RPM databases).
package extract

import (
	"context"
	"io/fs"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// File is a file an extractor is offered.
type File struct {
	Path string      // slash-separated, relative to the scan root; used in evidence and errors
	Mode fs.FileMode // type and permission bits
	Size int64
}

// Extractor finds components in one kind of file.
type Extractor interface {
	// Name identifies the extractor in logs and evidence, such as "npm/package-lock".
	Name() string
	// Match reports whether the extractor wants f, judged by path, name and mode only.
	Match(f File) bool
	// Extract reads f from fsys (rooted at the scan root). A file that turns out not to be of the
	// extractor's kind (a binary that is not a Go binary) yields an empty Result and no error.
	// Errors are *input.Error naming f.Path and the position.
	Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error)
}

// Result is what one extractor found in one file.
type Result struct {
	// Components found; each Ref is unique within this Result. Extractors set PURL, Name, Version,
	// and where the file carries them Hashes, Licenses, Supplier, Scope and Properties such as
	// PropSourcePackage.
	Components []sbom.Component
	// Dependencies between components of this Result, by Ref. The entry with Ref == RootRef lists
	// the direct dependencies of the project or system the file describes; components not reachable
	// from it are transitive when the entry exists, unknown when it does not.
	Dependencies []sbom.Dependency
}

// RootRef stands for the project or system described by a file in Result.Dependencies.
const RootRef = ""

// Property names extractors set on components.
const (
	PropLocation      = "siegel:location"       // file the component was found in
	PropSourcePackage = "siegel:source-package" // distro source package name (Debian: the key of vulnerability data)
	PropSourceVersion = "siegel:source-version" // distro source package version when it differs
	PropExtractor     = "siegel:extractor"      // Name() of the extractor that found it
	PropDev           = "siegel:dev"            // "true" for development-only dependencies
)
