package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/siegel-oss/siegel/internal/extract"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// sbomCommand writes the SBOM of a directory, file or root filesystem; its subcommands convert and
// validate existing SBOMs.
func sbomCommand() *Command {
	var (
		format, out, name, version string
		skipErrors                 bool
		maxFileSize                int64
		tr                         trOptions
	)
	return &Command{
		Name:    "sbom",
		Args:    "PATH",
		Summary: "write the SBOM of a source tree, root filesystem or binary; convert and validate SBOMs",
		Help: `Scans PATH — a source tree, an unpacked root filesystem, or a single lockfile or Go binary —
for components and writes a CycloneDX 1.6 SBOM (or another format with --format) to standard output.

Source trees: go.mod/go.sum and Go binaries, package-lock.json, yarn.lock, pnpm-lock.yaml,
requirements.txt, poetry.lock, Pipfile.lock, uv.lock, Cargo.lock, Gemfile.lock, composer.lock,
gradle.lockfile, pom.xml, packages.lock.json, pubspec.lock, mix.lock.
Root filesystems: var/lib/dpkg/status, lib/apk/db/installed, usr/lib/opkg/status,
var/lib/rpm/rpmdb.sqlite. Symbolic links are not followed; .git, node_modules and testdata
(inputs of tests, by Go convention, not shipped code) are skipped.

A file that cannot be parsed fails the command (exit 1) with one line per file naming the position
and the rule broken. With --skip-errors the SBOM is written anyway, the failures are logged, and the
SBOM's dependency graph is marked incomplete.

BSI TR-03183-2 fields: the SBOM's creator is named by --creator-email or --creator-url (5.2.1; the
SIEGEL_CREATOR_EMAIL, SIEGEL_CREATOR_URL and SIEGEL_CREATOR_NAME environment variables when the
flags are not given), and is the product's creator too. --artifact names the product's deployable
file: its name, SHA-512 hash and the executable, archive and structured properties (5.2.2) are
read from it; --license and --purl give the product's distribution licence and package URL.
A component's distribution licence is what its manufacturer passes it on under: Siegel writes the
licences components declare (npm's lockfile "license") as declared, and as the distribution
licence too only with --licenses-as-declared, which says that you pass them on under those terms.
Go modules found in the module cache (--go-mod-cache) whose zip matches go.sum are described by
that zip: file name, SHA-512 hash, properties, their requirements with completeness, and their
module path as the creator's URL. Components keep whatever else their lockfile states (npm's
SHA-512 integrity hashes); 'siegel sbom validate' lists what is still missing.`,
		Example: `siegel sbom . > app.cdx.json
siegel sbom --format spdx-json --name router-fw --version 2.4.1 ./rootfs > router.spdx.json
siegel sbom --version 1.4.0 --artifact dist/app --creator-email psirt@acme.example --license Apache-2.0 .
siegel sbom convert app.cdx.json --to spdx-json`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&format, "format", string(sbom.CycloneDXJSON), "output format: cyclonedx-json, cyclonedx-xml or spdx-json")
			fs.StringVar(&out, "out", "", "write to this file instead of standard output")
			fs.StringVar(&name, "name", "", "name of the scanned product (default: the base name of PATH)")
			fs.StringVar(&version, "version", "", "version of the scanned product")
			fs.BoolVar(&skipErrors, "skip-errors", false, "write the SBOM even when some files cannot be parsed")
			fs.Int64Var(&maxFileSize, "max-file-size", 256<<20, "largest file read, in bytes")
			fs.StringVar(&tr.creatorName, "creator-name", "", "name of the organization that makes the SBOM (default: $SIEGEL_CREATOR_NAME)")
			fs.StringVar(&tr.creatorEmail, "creator-email", "", "email address of the SBOM's creator, TR-03183-2 5.2.1 (default: $SIEGEL_CREATOR_EMAIL)")
			fs.StringVar(&tr.creatorURL, "creator-url", "", "URL of the SBOM's creator, TR-03183-2 5.2.1 (default: $SIEGEL_CREATOR_URL)")
			fs.StringVar(&tr.license, "license", "", "SPDX licence expression under which the product is distributed")
			fs.StringVar(&tr.artifact, "artifact", "", "the product's deployable file: its name, SHA-512 hash and properties go into the SBOM")
			fs.StringVar(&tr.purl, "purl", "", "package URL of the product")
			fs.BoolVar(&tr.licensesAsDeclared, "licenses-as-declared", false, "state each component's declared licence as the licence you distribute it under (TR-03183-2 5.2.2)")
			fs.StringVar(&tr.goModCache, "go-mod-cache", "", "Go module cache read for module zips (default: $GOMODCACHE, else $GOPATH/pkg/mod)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("sbom takes one PATH; run 'siegel sbom --help'")
			}
			f := sbom.Format(format)
			if err := checkWritable(f); err != nil {
				return err
			}
			if err := tr.resolve(env); err != nil {
				return err
			}
			doc, err := scanPath(ctx, env, args[0], extract.Subject{Name: name, Version: version}, maxFileSize, skipErrors)
			if err != nil {
				return err
			}
			if err := tr.apply(env, doc); err != nil {
				return err
			}
			return writeOutput(env, out, func(w io.Writer) error { return sbom.Write(w, doc, f) })
		},
		Sub: []*Command{sbomConvertCommand(), sbomValidateCommand(), sbomInfoCommand()},
	}
}

func checkWritable(f sbom.Format) error {
	for _, w := range sbom.WritableFormats {
		if f == w {
			return nil
		}
	}
	return usagef("unknown output format %q; choose cyclonedx-json, cyclonedx-xml or spdx-json", f)
}

// scanPath scans a directory, or a single file within its directory, into an SBOM.
func scanPath(ctx context.Context, env *Env, path string, subject extract.Subject, maxFileSize int64, skipErrors bool) (*sbom.Document, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	rootDir, only := abs, ""
	if !info.IsDir() {
		rootDir, only = filepath.Dir(abs), filepath.Base(abs)
	}
	root, err := os.OpenRoot(rootDir)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	defer root.Close()

	inv, err := extract.Scan(ctx, root.FS(), extract.Options{
		Limits: input.Limits{MaxBytes: maxFileSize},
		Log:    env.Log,
		Only:   only,
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	for _, e := range inv.Errors {
		// Name files as the user can find them: relative to the PATH they gave, not the scan root.
		var ie *input.Error
		if errors.As(e, &ie) && only == "" {
			ie.File = filepath.ToSlash(filepath.Join(path, ie.File))
		} else if errors.As(e, &ie) {
			ie.File = path
		}
	}
	if len(inv.Errors) > 0 {
		if !skipErrors {
			return nil, fmt.Errorf("%d file(s) could not be parsed (fix them or pass --skip-errors):\n%w", len(inv.Errors), errors.Join(inv.Errors...))
		}
		for _, e := range inv.Errors {
			env.Log.Warn("file skipped", "err", e)
		}
	}
	subject.Name = cmp.Or(subject.Name, filepath.Base(abs))
	doc := inv.Document(subject, sbomTime(env), []sbom.Creator{{Kind: sbom.CreatorTool, Name: "siegel", Version: buildVersion()}})
	if len(inv.Errors) > 0 {
		for i := range doc.Dependencies {
			doc.Dependencies[i].Completeness = sbom.CompletenessIncomplete
		}
	}
	return doc, nil
}

// sbomTime is the creation time written into SBOMs: SOURCE_DATE_EPOCH when set (reproducible
// builds), otherwise now.
func sbomTime(env *Env) time.Time {
	if s := env.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return env.Now().Truncate(time.Second)
}

// writeOutput writes to standard output, or atomically to the named file: a reader of that file
// sees the old content or the complete new content, never a partial write.
func writeOutput(env *Env, out string, write func(io.Writer) error) error {
	if out == "" || out == "-" {
		return write(env.Stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}
