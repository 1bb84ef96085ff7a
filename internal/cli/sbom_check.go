package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
)

func sbomConvertCommand() *Command {
	var to, out string
	return &Command{
		Name:    "convert",
		Args:    "FILE",
		Summary: "convert an SBOM between CycloneDX and SPDX formats",
		Help: `Reads FILE (any format Siegel reads: CycloneDX 1.2-1.7 JSON or XML, SPDX 2.2/2.3 JSON or
tag-value, SPDX 3.0.1 JSON-LD; "-" for standard input; the format is detected from the content)
and writes it in the format given by --to: CycloneDX 1.6 JSON or XML, or SPDX 2.3 JSON.
Components, purls, CPEs, hashes, licences, suppliers, file names and dependency relationships are
carried over.`,
		Example: `siegel sbom convert router.spdx.json --to cyclonedx-json > router.cdx.json
siegel sbom convert app.cdx.xml --to spdx-json --out app.spdx.json`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&to, "to", "", "output format: cyclonedx-json, cyclonedx-xml or spdx-json (required)")
			fs.StringVar(&out, "out", "", "write to this file instead of standard output")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("convert takes one FILE; run 'siegel sbom convert --help'")
			}
			if to == "" {
				return usagef("convert needs --to cyclonedx-json, cyclonedx-xml or spdx-json")
			}
			f := sbom.Format(to)
			if err := checkWritable(f); err != nil {
				return err
			}
			doc, _, err := readSBOM(env, args[0])
			if err != nil {
				return err
			}
			return writeOutput(env, out, func(w io.Writer) error { return sbom.Write(w, doc, f) })
		},
	}
}

// readSBOM reads and decodes an SBOM file ("-" for standard input), returning the raw bytes too.
func readSBOM(env *Env, name string) (*sbom.Document, []byte, error) {
	data, err := readInput(env, name)
	if err != nil {
		return nil, nil, err
	}
	doc, err := sbom.Decode(name, data, input.DefaultLimits())
	if err != nil {
		return nil, nil, err
	}
	return doc, data, nil
}

// decodeSBOM reads an SBOM file (or standard input for "-") handing each component to each as it
// is read; the document it returns has no components.
func decodeSBOM(env *Env, name string, each func(sbom.Component) error) (*sbom.Document, error) {
	data, err := readInput(env, name)
	if err != nil {
		return nil, err
	}
	return sbom.DecodeEach(name, data, input.DefaultLimits(), each)
}

// readInput reads a file, or standard input for "-", within the default input limits.
func readInput(env *Env, name string) ([]byte, error) {
	r, err := openInput(env, name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return input.ReadAll(name, r, input.DefaultLimits())
}

// validateReport is what `siegel sbom validate --format json` prints.
type validateReport struct {
	File         string                   `json:"file"`
	Format       sbom.Format              `json:"format"`
	SpecVersion  string                   `json:"specVersion"`
	Components   int                      `json:"components"`
	Services     int                      `json:"services"`
	SchemaValid  bool                     `json:"schemaValid"`
	Schema       []sbom.SchemaProblem     `json:"schemaProblems,omitempty"`
	Completeness *sbom.CompletenessReport `json:"tr03183"`
}

func sbomValidateCommand() *Command {
	var failOn, format string
	var limit int
	return &Command{
		Name:    "validate",
		Args:    "FILE",
		Summary: "check an SBOM's schema validity and its completeness against BSI TR-03183-2",
		Help: `Checks FILE in two ways:

  schema        CycloneDX against the published JSON schema of its spec version (XML documents
                through their JSON rendering); SPDX against the fields its specification requires.
  completeness  BSI TR-03183-2 (v2.1): CycloneDX 1.6 or later, SPDX 3.0.1 or later (4), and no
                vulnerability information in the SBOM; the SBOM's creator (email or URL) and
                timestamp (5.2.1); for every component its creator by email or URL (a name alone
                does not count), name, version, filename (a name, not a path), dependencies with
                their completeness, distribution (concluded) licence other than NOASSERTION,
                SHA-512 hash of the deployable file, the executable (executable/non-executable),
                archive (archive/no archive) and structured (structured/unstructured) properties
                (5.2.2), and a purl, CPE or SWID tag id (5.2.4). SPDX 3 states the three
                properties as software_additionalPurpose "executable", "archive" and "container"
                of the package or of its distribution artifact (8.2).

--fail-on decides what makes the command exit with status 3: "invalid" (schema problems, the
default), "incomplete" (schema problems or any missing TR-03183-2 field), or "none". A document
that cannot be read at all exits with status 1.`,
		Example: `siegel sbom validate router.cdx.json
siegel sbom validate --fail-on incomplete --format json router.spdx.json`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&failOn, "fail-on", "invalid", "exit 3 on: invalid, incomplete or none")
			fs.StringVar(&format, "format", "text", "report format: text or json")
			fs.IntVar(&limit, "limit", 20, "components listed in the text report (0: all)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("validate takes one FILE; run 'siegel sbom validate --help'")
			}
			if !slices.Contains([]string{"invalid", "incomplete", "none"}, failOn) {
				return usagef("--fail-on must be invalid, incomplete or none, not %q", failOn)
			}
			if format != "text" && format != "json" {
				return usagef("--format must be text or json, not %q", format)
			}
			doc, data, err := readSBOM(env, args[0])
			if err != nil {
				return err
			}
			problems, err := sbom.CheckSchema(data, doc.Format)
			if err != nil {
				return fmt.Errorf("validate %s: %w", args[0], err)
			}
			rep := validateReport{
				File: args[0], Format: doc.Format, SpecVersion: doc.SpecVersion, Components: len(doc.Components), Services: len(doc.Services),
				SchemaValid: len(problems) == 0, Schema: problems, Completeness: sbom.CheckTR03183(doc),
			}
			if format == "json" {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				printValidateReport(env.Stdout, &rep, limit)
			}
			switch {
			case failOn != "none" && !rep.SchemaValid:
				return fmt.Errorf("%w: %s is not valid against its schema (%d problems)", ErrPolicy, args[0], len(problems))
			case failOn == "incomplete" && !rep.Completeness.Complete():
				return fmt.Errorf("%w: %s lacks fields BSI TR-03183-2 requires (%d of %d components incomplete)",
					ErrPolicy, args[0], len(rep.Completeness.Components), rep.Completeness.Total)
			}
			return nil
		},
	}
}

func printValidateReport(w io.Writer, rep *validateReport, limit int) {
	fmt.Fprintf(w, "%s: %s %s, %d components", rep.File, rep.Format, rep.SpecVersion, rep.Components)
	if rep.Services > 0 {
		fmt.Fprintf(w, ", %d services", rep.Services)
	}
	fmt.Fprintln(w)
	if rep.SchemaValid {
		fmt.Fprintln(w, "schema: valid")
	} else {
		fmt.Fprintf(w, "schema: INVALID, %d problems\n", len(rep.Schema))
		for _, p := range rep.Schema {
			if p.Line > 0 {
				fmt.Fprintf(w, "  line %d, at %s: %s\n", p.Line, cmpOr(p.Pointer, "/"), p.Message)
				continue
			}
			fmt.Fprintf(w, "  at %s: %s\n", cmpOr(p.Pointer, "/"), p.Message)
		}
	}
	c := rep.Completeness
	if c.Complete() {
		fmt.Fprintln(w, "TR-03183-2: complete")
		return
	}
	fmt.Fprintf(w, "TR-03183-2: INCOMPLETE, %d of %d components lack required fields\n", len(c.Components), c.Total)
	for _, f := range c.Document {
		if i := slices.IndexFunc(c.DocumentProblems, func(p string) bool { return strings.HasPrefix(p, f+": ") }); i >= 0 {
			fmt.Fprintf(w, "  document: %s (TR-03183-2 %s)\n", c.DocumentProblems[i], sbom.TRClause(f))
			continue
		}
		fmt.Fprintf(w, "  document lacks %s (TR-03183-2 %s)\n", f, sbom.TRClause(f))
	}
	fields := make([]string, 0, len(c.MissingCount))
	for f := range c.MissingCount {
		fields = append(fields, f)
	}
	slices.SortFunc(fields, func(a, b string) int {
		if d := c.MissingCount[b] - c.MissingCount[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, f := range fields {
		fmt.Fprintf(w, "  %d components lack %s (TR-03183-2 %s)\n", c.MissingCount[f], f, sbom.TRClause(f))
	}
	for i, g := range c.Components {
		if limit > 0 && i == limit {
			fmt.Fprintf(w, "  ... and %d more components (--limit 0 lists all, --format json gives every detail)\n", len(c.Components)-limit)
			break
		}
		fmt.Fprintf(w, "  %s %s: %s\n", g.Name, g.Version, strings.Join(g.Missing, ", "))
		for _, p := range g.Problems {
			fmt.Fprintf(w, "    %s\n", p)
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sbomInfoCommand() *Command {
	var format string
	return &Command{
		Name:    "info",
		Args:    "FILE",
		Summary: "summarize an SBOM: format, subject, components per ecosystem, dependency edges",
		Help: `Reads FILE (any format Siegel reads, "-" for standard input) and prints what it holds: format and
spec version, creation time, subject, number of components (per purl type), dependency edges, and
how many components the subject depends on directly.`,
		Example: `siegel sbom info router.cdx.json
siegel sbom info --format json app.spdx.json`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&format, "format", "text", "output format: text or json")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("info takes one FILE; run 'siegel sbom info --help'")
			}
			if format != "text" && format != "json" {
				return usagef("--format must be text or json, not %q", format)
			}
			doc, _, err := readSBOM(env, args[0])
			if err != nil {
				return err
			}
			info := struct {
				Format      sbom.Format    `json:"format"`
				SpecVersion string         `json:"specVersion"`
				Created     string         `json:"created,omitempty"`
				Subject     string         `json:"subject,omitempty"`
				Components  int            `json:"components"`
				ByType      map[string]int `json:"componentsByPurlType"`
				Services    int            `json:"services"`
				Edges       int            `json:"dependencyEdges"`
				Direct      int            `json:"directDependencies"`
			}{Format: doc.Format, SpecVersion: doc.SpecVersion, Components: len(doc.Components), Services: len(doc.Services), ByType: map[string]int{}}
			if !doc.Created.IsZero() {
				info.Created = doc.Created.Format("2006-01-02T15:04:05Z07:00")
			}
			if i, ok := doc.Index()[doc.Subject]; ok {
				info.Subject = strings.TrimSpace(doc.Components[i].Name + " " + doc.Components[i].Version)
			}
			for _, c := range doc.Components {
				t := "(none)"
				if rest, ok := strings.CutPrefix(c.PURL, "pkg:"); ok {
					t, _, _ = strings.Cut(rest, "/")
				}
				info.ByType[t]++
			}
			for _, d := range doc.Dependencies {
				info.Edges += len(d.DependsOn)
			}
			info.Direct = len(doc.Direct())
			if format == "json" {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			w := env.Stdout
			fmt.Fprintf(w, "format:       %s %s\n", info.Format, info.SpecVersion)
			if info.Created != "" {
				fmt.Fprintf(w, "created:      %s\n", info.Created)
			}
			if info.Subject != "" {
				fmt.Fprintf(w, "subject:      %s (%d direct dependencies)\n", info.Subject, info.Direct)
			}
			fmt.Fprintf(w, "components:   %d\n", info.Components)
			types := make([]string, 0, len(info.ByType))
			for t := range info.ByType {
				types = append(types, t)
			}
			slices.Sort(types)
			for _, t := range types {
				fmt.Fprintf(w, "  %-10s  %d\n", t, info.ByType[t])
			}
			if info.Services > 0 {
				fmt.Fprintf(w, "services:     %d\n", info.Services)
			}
			_, err = fmt.Fprintf(w, "dependencies: %d edges\n", info.Edges)
			return err
		},
	}
}
