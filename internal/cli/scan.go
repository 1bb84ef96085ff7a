package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/siegel-oss/siegel/internal/extract"
	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/vex"
)

var failOnLevels = []string{"exploited", "critical", "high", "medium", "low", "any", "unchecked", "none"}

func scanCommand() *Command {
	var dir, format, failOn, explain string
	var vexFiles stringList
	var maxFileSize int64
	maxAge := ageFlag(match.DefaultMaxAge)
	var hf healthScanFlags
	return &Command{
		Name:    "scan",
		Args:    "TARGET",
		Summary: "find the known vulnerabilities of an SBOM, a source tree or a root filesystem",
		Help: `TARGET is an SBOM (any format Siegel reads, detected from content; "-" for standard input), or a
directory or lockfile, which is inventoried as 'siegel sbom' does. Every component is matched
against the local vulnerability database (run 'siegel db update' first): one finding per
vulnerability and component, all aliases merged, with CISA KEV exploitation, EPSS, severity
and the versions that fix it. The severity is the CVSS base score computed from a vector (v4.0,
v3.x, else v2) of the finding's records, else a rating they state (GitHub's, Debian's urgency,
Ubuntu's priority, a Red Hat-family erratum's), else what other records of the same vulnerability
or its EUVD entry say; severitySource and severityFrom name where it came from. A finding no
source rates is UNKNOWN, counted as unrated.

Every result states its coverage: per ecosystem, how many components were checked against how
many advisories, which were not checked and why (no advisories for the ecosystem in the
database, no version, a version that does not parse, no known ecosystem), and the import date of
each feed (OSV, KEV, EPSS, EUVD). An empty database, a feed older than --max-db-age, a missing
KEV catalogue and unchecked components are warned about on standard error. "No known
vulnerabilities" is said only when every component was checked.

Findings are listed exploited first, then by severity. The same inputs and database give the same
output byte for byte. Formats: table, json (Siegel's findings), sarif (SARIF 2.1.0 for code
scanning), cyclonedx (the SBOM with its vulnerabilities: a CycloneDX 1.6 VDR), openvex (OpenVEX
0.2.0 statements, status under_investigation until triaged). --fail-on exits with status 3 when
a finding is exploited (exploited), at or above a severity (critical, high, medium, low), at all
(any), or when any component was not checked (unchecked).

--vex applies the manufacturer's statements (OpenVEX, CycloneDX VEX or CSAF VEX, detected from
content) to the findings, by vulnerability id or alias and component purl (a purl without version
covers every version). Statements about another product than the SBOM's subject (by purl) are
left out; when the subject has no purl, as for a directory, statements about any product apply.
Findings stated not_affected or fixed are shown with their status and never count for --fail-on.

--health adds each component's health from the data 'siegel db update --eol ...' imported: end
of life, support ending before --support-end (the release's), deprecated, retracted or yanked,
unmaintained (no release for --unmaintained-after months), or unknown, each with its source and
data date, and its memory-safety class. --fail-on also takes eol, deprecated, unmaintained,
mismatch and retracted, comma-separated with at most one vulnerability level.`,
		Example: `siegel scan app.cdx.json
siegel scan --fail-on exploited --format json ./rootfs > findings.json
siegel scan --explain CVE-2024-3094 ./rootfs
siegel scan --vex router.openvex.json --fail-on high router.cdx.json`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dir, "db", "", "data directory (default: $SIEGEL_DB or the user cache directory)")
			fs.StringVar(&format, "format", "table", "output: "+strings.Join(scanFormats, ", "))
			fs.StringVar(&failOn, "fail-on", "none", "exit 3 on: "+strings.Join(failOnLevels, ", "))
			fs.Int64Var(&maxFileSize, "max-file-size", 256<<20, "largest file read when TARGET is a directory")
			fs.StringVar(&explain, "explain", "", "show why the findings of this vulnerability id (or alias) matched")
			fs.Var(&vexFiles, "vex", "apply the statements of a VEX document (OpenVEX, CycloneDX or CSAF); repeatable")
			fs.Var(&maxAge, "max-db-age", "warn when a feed of the database is older than this (days such as 7d, or a duration)")
			hf.add(fs)
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("scan takes one TARGET; run 'siegel scan --help'")
			}
			failOn, failOnHealth, err := splitFailOn(failOn)
			if err != nil {
				return err
			}
			supportEnd, err := parseSupportEnd(hf.supportEnd)
			if err != nil {
				return err
			}
			hf.on = hf.on || len(failOnHealth) > 0 || !supportEnd.IsZero()
			if !slices.Contains(scanFormats, format) {
				return usagef("--format must be one of %s, not %q", strings.Join(scanFormats, ", "), format)
			}
			gogc := os.Getenv("GOGC") == "" // set in the environment, GOGC overrides what follows
			if gogc {
				// Reading the target leaves mostly short-lived decoding garbage around the
				// inventory: collecting at half the default heap growth keeps this phase's peak
				// under the matching's below, with few collections.
				debug.SetGCPercent(50)
			}
			// Table and JSON output need only the packages: an SBOM is then streamed into them
			// and its components are never held in memory.
			in, err := scanTarget(ctx, env, args[0], maxFileSize, hf.on || format != "table" && format != "json")
			if err != nil {
				return err
			}
			if gogc {
				// Matching and output hold the inventory and a growing set of findings, and
				// the peak of a scan is that set plus the garbage let grow before a
				// collection. At 40 % heap growth the peak of an 18,000-component scan is
				// about 51 MB (58 MB at 100 %: the binary's pages are most of the rest); lower
				// settings save little more memory and cost wall time, as collection then
				// competes with matching for the cores (20 %: 49 MB, 0.54 s instead of 0.47 s
				// on two cores).
				debug.SetGCPercent(40)
			}
			doc, pkgs, unknown, product := in.doc, in.pkgs, in.unknown, in.product
			res, db, err := scanDatabase(ctx, env, dir, pkgs, unknown, time.Duration(maxAge), false)
			if err != nil {
				return err
			}
			defer db.Close()
			findings := res.Findings
			if err := applyVEX(product, findings, vexFiles); err != nil {
				return err
			}
			if explain != "" {
				n := 0
				for _, f := range findings {
					if f.ID == explain || slices.Contains(f.Aliases, explain) {
						if err := match.Explain(ctx, env.Stdout, db, f); err != nil {
							return err
						}
						n++
					}
				}
				if n == 0 {
					return fmt.Errorf("no finding of %s in %s; the vulnerability does not affect these components (or is not in the database)", explain, args[0])
				}
				return nil
			}
			warnCoverage(env.Stderr, res.Coverage)
			var hrep *health.Report
			if hf.on {
				if hrep, err = scanHealth(env, dbDir(env, dir), doc, hf, supportEnd); err != nil {
					return err
				}
			}
			var werr error
			switch {
			case format == "json" && hrep != nil:
				werr = writeResultJSONHealth(env.Stdout, res, hrep)
			case format == "sarif" && hrep != nil:
				werr = writeSARIFHealth(env.Stdout, args[0], doc, res, hrep)
			}
			switch format {
			case "json":
				if hrep == nil {
					werr = writeResultJSON(env.Stdout, res)
				}
			case "sarif":
				if hrep == nil {
					werr = writeSARIF(env.Stdout, args[0], doc, res)
				}
			case "cyclonedx":
				werr = writeVDR(env.Stdout, doc, findings, res.Coverage)
			case "openvex":
				var taken time.Time
				for _, f := range res.Coverage.Feeds {
					if f.Imported != nil && f.Imported.After(taken) {
						taken = *f.Imported // the database's time: the same inputs give the same document
					}
				}
				werr = writeOpenVEX(env.Stdout, doc, findings, taken)
			default:
				werr = printFindings(env.Stdout, res)
				if werr == nil && hrep != nil {
					werr = printHealth(env.Stdout, hrep)
				}
			}
			if werr != nil {
				return werr
			}
			if n := healthViolations(hrep, failOnHealth); n > 0 {
				msg := fmt.Sprintf("%d component(s) with a health verdict named by --fail-on", n)
				if v := policyViolations(res, failOn); v > 0 {
					msg += fmt.Sprintf(", and %d at --fail-on %s", v, failOn)
				}
				return fmt.Errorf("%w: %s", ErrPolicy, msg)
			}
			if n := policyViolations(res, failOn); n > 0 {
				what := "finding(s)"
				if failOn == "unchecked" {
					what = "component(s) not checked"
				}
				return fmt.Errorf("%w: %d %s at --fail-on %s", ErrPolicy, n, what, failOn)
			}
			return nil
		},
	}
}

// scanInput is what a scan matches: the packages of its target, the purl of the product they
// belong to (the document's subject), and the document itself when the output needs it.
type scanInput struct {
	doc           *sbom.Document
	pkgs, unknown []match.Package
	product       string
}

// scanTarget reads an SBOM, or inventories a directory or lockfile. Without needDoc, an SBOM's
// components are turned into packages as they are read and the document is not kept.
func scanTarget(ctx context.Context, env *Env, target string, maxFileSize int64, needDoc bool) (scanInput, error) {
	isSBOM := target == "-"
	if !isSBOM {
		info, err := os.Stat(target)
		if err != nil {
			return scanInput{}, fmt.Errorf("scan: %w", err)
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(target)
			if err != nil {
				return scanInput{}, err
			}
			head := make([]byte, 64<<10)
			n, _ := io.ReadFull(f, head)
			f.Close()
			_, err = sbom.Detect(head[:n])
			isSBOM = err == nil || strings.Contains(err.Error(), "JSON-LD")
		}
	}
	var doc *sbom.Document
	var err error
	switch {
	case isSBOM && !needDoc:
		var inv match.Inventory
		doc, err = decodeSBOM(env, target, func(c sbom.Component) error {
			inv.Add(c)
			return nil
		})
		if err != nil {
			return scanInput{}, err
		}
		pkgs, unknown := inv.Done(doc)
		return scanInput{pkgs: pkgs, unknown: unknown, product: productPURL(doc, pkgs, unknown)}, nil
	case isSBOM:
		doc, _, err = readSBOM(env, target)
	default:
		doc, err = scanPath(ctx, env, target, extract.Subject{}, maxFileSize, false)
	}
	if err != nil {
		return scanInput{}, err
	}
	pkgs, unknown := match.Packages(doc)
	return scanInput{doc: doc, pkgs: pkgs, unknown: unknown, product: productPURL(doc, pkgs, unknown)}, nil
}

// productPURL is the purl of the document's subject, the product VEX statements name.
func productPURL(doc *sbom.Document, lists ...[]match.Package) string {
	if doc.Subject == "" {
		return ""
	}
	for _, l := range lists {
		for _, p := range l {
			if p.Ref == doc.Subject {
				return p.PURL
			}
		}
	}
	return ""
}

func violations(fs []*match.Finding, failOn string) int {
	n := 0
	for _, f := range fs {
		if f.Settled() {
			continue
		}
		switch failOn {
		case "none":
		case "any":
			n++
		case "exploited":
			if f.IsExploited() {
				n++
			}
		default:
			if match.SeverityAtLeast(f, strings.ToUpper(failOn)) {
				n++
			}
		}
	}
	return n
}

// tableHeader names the table's columns: exploitation, severity, id, package, version, the lowest
// fixed version, EPSS and VEX status.
var tableHeader = [...]string{"EXPLOITED", "SEVERITY", "ID", "PACKAGE", "VERSION", "FIXED IN", "EPSS", "VEX"}

// appendCell appends a finding's cell in column col of the table to dst, without allocating.
func appendCell(dst []byte, f *match.Finding, col int) []byte {
	switch col {
	case 0:
		switch {
		case f.KEV() != nil:
			dst = append(append(dst, "KEV "...), f.KEV().DateAdded...)
		case f.IsExploited():
			dst = append(dst, "EUVD"...)
		}
	case 1:
		dst = append(dst, f.Severity...)
		if f.Score > 0 {
			dst = strconv.AppendFloat(append(dst, ' '), f.Score, 'f', 1, 64)
		}
	case 2:
		dst = append(dst, f.ID...)
	case 3:
		dst = append(dst, f.Package.Name...)
	case 4:
		dst = append(dst, f.Package.Version...)
	case 5:
		if len(f.Fixed) > 0 {
			dst = append(dst, f.Fixed[0]...) // the lowest version that fixes it
		} else {
			dst = append(dst, '-')
		}
	case 6:
		if epss := f.EPSSScore(); epss != nil {
			dst = strconv.AppendFloat(dst, epss.Score, 'f', 3, 64)
		}
	case 7:
		if f.VEX != nil {
			dst = append(dst, f.VEX.Status...)
		} else {
			dst = append(dst, '-')
		}
	}
	return dst
}

// tableCap bounds each column's width. A column is as wide as its widest cell up to its cap: a
// cell beyond it is written whole (nothing of a finding is cut) and the cells after it move
// right as far as needed, then take their places again. One long package name or version then
// widens its own row, not the 450,000 others of a heavy scan's table.
var tableCap = [len(tableHeader)]int{
	14, // "KEV 2024-01-01"
	12, // "CRITICAL 9.8"
	19, // a GHSA id; CVE, GO, PYSEC and RUSTSEC ids are shorter
	32, // most package names; a Go module path may be longer
	16, // most versions; a pseudo-version or a distribution's is longer
	16,
	5, // "0.975"
	0,
}

func printFindings(out io.Writer, res *match.Result) error {
	w := bufio.NewWriterSize(out, 64<<10)
	defer w.Flush()
	// Columns are as wide as their widest cell, up to their cap, plus two spaces. The widths are
	// measured in a first pass so that rows are written as they are formatted, not held for a
	// tabwriter; cells are formatted into one buffer, so a table of any length allocates nothing
	// per row.
	var width [len(tableHeader)]int
	for i, h := range tableHeader {
		width[i] = utf8.RuneCountInString(h)
	}
	var line []byte
	for _, f := range res.Findings {
		for i := range width {
			if width[i] >= tableCap[i] {
				continue // the cap is reached: no cell can widen the column further
			}
			line = appendCell(line[:0], f, i)
			width[i] = min(max(width[i], utf8.RuneCount(line)), tableCap[i])
		}
	}
	// stop[i] is where column i ends, counted in runes from the start of the line, the two
	// spaces that separate it from the next included.
	var stop [len(width)]int
	for i := range width {
		stop[i] = width[i] + 2
		if i > 0 {
			stop[i] += stop[i-1]
		}
	}
	runes := 0 // the runes of line so far
	cell := func(start, col int) {
		runes += utf8.RuneCount(line[start:])
		if col == len(width)-1 {
			return
		}
		for n := max(stop[col]-runes, 2); n > 0; n-- {
			line = append(line, ' ')
			runes++
		}
	}
	line = line[:0]
	for i, h := range tableHeader {
		start := len(line)
		line = append(line, h...)
		cell(start, i)
	}
	if _, err := w.Write(append(line, '\n')); err != nil {
		return err
	}
	for _, f := range res.Findings {
		line, runes = line[:0], 0
		for i := range width {
			start := len(line)
			line = appendCell(line, f, i)
			cell(start, i)
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	exploited := 0
	var bySeverity [6]int // UNKNOWN (unrated), NONE, LOW, MEDIUM, HIGH, CRITICAL
	for _, f := range res.Findings {
		if f.IsExploited() {
			exploited++
		}
		bySeverity[severityIndex(f.Severity)]++
	}
	_, err := fmt.Fprintf(w, "\n%d findings (%d known exploited", len(res.Findings), exploited)
	for i := len(bySeverity) - 1; i >= 0; i-- {
		if bySeverity[i] > 0 || i == 0 {
			fmt.Fprintf(w, ", %d %s", bySeverity[i], severityBucket[i])
		}
	}
	fmt.Fprintf(w, ") in %d packages scanned\n", res.Scanned)
	if err != nil {
		return err
	}
	if res.Coverage != nil {
		writeCoverage(w, res)
	}
	return w.Flush()
}

// severityBucket names the severities as counts list them, lowest first; the unrated bucket
// holds the findings no source rates.
var severityBucket = [...]string{"unrated", "none", "low", "medium", "high", "critical"}

// severityIndex is a severity's bucket.
func severityIndex(s string) int {
	switch s {
	case "NONE":
		return 1
	case "LOW":
		return 2
	case "MEDIUM":
		return 3
	case "HIGH":
		return 4
	case "CRITICAL":
		return 5
	}
	return 0
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// applyVEX applies the statements of the VEX files about product (any product when empty).
func applyVEX(product string, fs []*match.Finding, files []string) error {
	if len(files) == 0 {
		return nil
	}
	var all vex.Document
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return fmt.Errorf("--vex: %w", err)
		}
		data, err := input.ReadAll(f, fh, input.Limits{MaxBytes: 256 << 20})
		fh.Close()
		if err != nil {
			return err
		}
		d, _, err := vex.Decode(f, data, input.Limits{MaxBytes: 256 << 20})
		if err != nil {
			return err
		}
		all.Statements = append(all.Statements, d.Statements...)
	}
	for _, f := range fs {
		if s := all.Lookup(append([]string{f.ID}, f.Aliases...), product, f.Package.PURL); s != nil {
			f.VEX = &match.VEXState{Status: string(s.Status), Justification: s.Justification, Impact: s.Impact, Action: s.Action}
		}
	}
	return nil
}
