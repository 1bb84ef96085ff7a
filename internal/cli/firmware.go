package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/siegel-oss/siegel/internal/firmware"
	"github.com/siegel-oss/siegel/internal/firmware/unpack"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

var firmwareFormats = []string{"table", "json", "cyclonedx", "sarif"}

// firmwareFailOn are the weakness rules --fail-on takes, besides the vulnerability levels of scan.
var firmwareFailOn = []string{"weak-credentials", "telnet", "remote-shell", "private-key", "permissions", "hardening", "any-weakness"}

func firmwareCommand() *Command {
	return &Command{
		Name:    "firmware",
		Summary: "unpack a device firmware image, inventory it and find Mirai-style weaknesses",
		Example: `siegel firmware scan router.bin`,
		Sub:     []*Command{firmwareScanCommand()},
	}
}

func firmwareScanCommand() *Command {
	var dir, format, failOn string
	var maxBytes int64
	var maxFiles, maxDepth int
	var timeout time.Duration
	var noVulns bool
	maxAge := ageFlag(match.DefaultMaxAge)
	return &Command{
		Name:    "scan",
		Args:    "IMAGE",
		Summary: "analyse a firmware image: layers, components, vulnerabilities, weaknesses",
		Help: `IMAGE is a firmware file as a device or its vendor ships it. Siegel takes it apart in memory, without
external programs and without writing anything to disk: it carves every embedded image by signature
(squashfs, ext2/3/4, CramFS, JFFS2, UBI/UBIFS, cpio, tar, gzip/xz/lzma/bzip2/zstd/lz4 streams, U-Boot
uImage and FIT, TRX) and goes on into what they hold, keeping every file's mode (setuid included),
owner and link target.

The inventory comes from package databases (opkg, dpkg, apk, rpm), /etc/openwrt_release, kernel
module directories, Go and Rust (cargo-auditable) build information, and version signatures of
embedded components, each with its evidence (file, offset, matched bytes). Components are matched
against the local vulnerability database (see 'siegel db update'); every output states what was
checked against what, and which components were not checked and why, as 'siegel scan' does. A
component found only by a version signature has no ecosystem a vulnerability database covers: it
is listed as not checked, never as clean. Without a database nothing is checked, and the output
says so.

Weaknesses, each with file, line or offset, and the requirements it breaks (ETSI EN 303 645, BSI
TR-03148, CRA Annex I): empty and default passwords (every pair Mirai tried, and vendor defaults;
DES, MD5, SHA-256/512 crypt and bcrypt), telnet and other remote shells started at boot, embedded
private keys, unsafe permissions, and the hardening of each ELF binary.

--fail-on takes a comma-separated list: weakness rules (weak-credentials, telnet, remote-shell,
private-key, permissions, hardening, any-weakness) and vulnerability levels (exploited, critical,
high, medium, low, any, unchecked); any match exits 3.`,
		Example: `siegel firmware scan router.bin
siegel firmware scan --format cyclonedx router.bin > router.cdx.json
siegel firmware scan --fail-on weak-credentials,telnet,exploited router.bin`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dir, "db", "", "vulnerability database directory (default: $SIEGEL_DB or the user cache directory)")
			fs.BoolVar(&noVulns, "no-vulns", false, "do not match components against the vulnerability database")
			fs.StringVar(&format, "format", "table", "output: "+strings.Join(firmwareFormats, ", "))
			fs.StringVar(&failOn, "fail-on", "", "exit 3 on these weakness rules or vulnerability levels (comma-separated)")
			fs.Int64Var(&maxBytes, "max-bytes", 4<<30, "most bytes unpacked from the image in all")
			fs.IntVar(&maxFiles, "max-files", 1_000_000, "most files unpacked from the image in all")
			fs.IntVar(&maxDepth, "max-depth", 8, "deepest nesting of images inside images")
			fs.DurationVar(&timeout, "timeout", 10*time.Minute, "longest time the analysis may take")
			fs.Var(&maxAge, "max-db-age", "warn when a feed of the database is older than this (days such as 7d, or a duration)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("firmware scan takes one IMAGE; run 'siegel firmware scan --help'")
			}
			if !slices.Contains(firmwareFormats, format) {
				return usagef("--format must be one of %s, not %q", strings.Join(firmwareFormats, ", "), format)
			}
			var rules []string
			if failOn != "" {
				rules = strings.Split(failOn, ",")
			}
			for _, r := range rules {
				if !slices.Contains(firmwareFailOn, r) && !slices.Contains(failOnLevels, r) {
					return usagef("--fail-on: %q is neither a weakness rule (%s) nor a level (%s)", r,
						strings.Join(firmwareFailOn, ", "), strings.Join(failOnLevels, ", "))
				}
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("firmware scan: %w", err)
			}
			ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("the analysis took longer than --timeout %s", timeout))
			defer cancel()
			rep, err := firmware.Analyze(ctx, args[0], data, firmware.Options{
				Budget: unpack.NewBudget(ctx, maxBytes, maxFiles, maxDepth), Log: env.Log})
			if err != nil {
				return fmt.Errorf("firmware scan: %w", err)
			}
			for _, p := range rep.Problems {
				env.Log.Warn("part of the image could not be unpacked", "file", p.Path, "offset", p.Offset, "format", p.Format, "error", p.Error)
			}
			var findings []*match.Finding
			var res *match.Result
			if !noVulns {
				pkgs, unknown := match.Packages(rep.SBOM)
				var db *vulndb.DB
				res, db, err = scanDatabase(ctx, env, dir, pkgs, unknown, time.Duration(maxAge), true)
				if err != nil {
					return err
				}
				if db != nil {
					db.Close()
				}
				findings = res.Findings
				warnCoverage(env.Stderr, res.Coverage)
			}
			var werr error
			switch format {
			case "json":
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				if findings == nil {
					findings = []*match.Finding{}
				}
				out := struct {
					*firmware.Report
					Vulnerabilities []*match.Finding  `json:"vulnerabilities"`
					Coverage        *match.Coverage   `json:"coverage,omitempty"`
					NotChecked      []match.Unchecked `json:"notChecked,omitempty"`
				}{Report: rep, Vulnerabilities: findings}
				if res != nil {
					out.Coverage, out.NotChecked = res.Coverage, res.NotChecked
				}
				werr = enc.Encode(out)
			case "cyclonedx":
				var cov *match.Coverage
				if res != nil {
					cov = res.Coverage
				}
				werr = writeVDR(env.Stdout, rep.SBOM, findings, cov)
			case "sarif":
				werr = writeFirmwareSARIF(env.Stdout, rep, res)
			default:
				werr = printFirmware(env.Stdout, rep, res)
			}
			if werr != nil {
				return werr
			}
			n := 0
			for _, r := range rules {
				switch {
				case r == "unchecked" && res == nil:
					n += len(rep.Components) // --no-vulns: none was checked
					continue
				case slices.Contains(failOnLevels, r):
					n += policyViolations(res, r)
					continue
				}
				for _, w := range rep.Weaknesses {
					if (w.Rule == r || r == "any-weakness") && w.Severity != "info" {
						n++
					}
				}
			}
			if n > 0 {
				return fmt.Errorf("%w: %d finding(s) at --fail-on %s", ErrPolicy, n, failOn)
			}
			return nil
		},
	}
}

func printFirmware(out io.Writer, rep *firmware.Report, res *match.Result) error {
	w := bufio.NewWriterSize(out, 64<<10)
	defer w.Flush()
	fmt.Fprintf(w, "%s  %d bytes  sha256:%s\n\n", rep.Image, rep.Size, rep.SHA256)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAYER\tFORMAT\tOFFSET\tSIZE\tFILES")
	for _, l := range rep.Layers {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", l.Path, l.Format, l.Offset, l.Size, l.Files)
	}
	tw.Flush()
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "not unpacked: %s at %d in %s: %s\n", p.Format, p.Offset, cmpOr(p.Path, rep.Image), p.Error)
	}
	fmt.Fprintf(w, "\nWEAKNESSES (%d)\n", len(rep.Weaknesses))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tRULE\tID\tWHERE\tMESSAGE")
	for _, x := range rep.Weaknesses {
		where := x.Path
		if x.Line > 0 {
			where += fmt.Sprintf(":%d", x.Line)
		} else if x.Offset > 0 {
			where += fmt.Sprintf("@%d", x.Offset)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.Severity, x.Rule, x.ID, where, x.Message)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nCOMPONENTS (%d)\n", len(rep.Components))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSOURCE\tEVIDENCE")
	for _, c := range rep.Components {
		ev := ""
		if len(c.Evidence) > 0 {
			e := c.Evidence[0]
			ev = e.Path
			if e.Match != "" {
				ev += fmt.Sprintf("@%d %q", e.Offset, e.Match)
			}
			if len(c.Evidence) > 1 {
				ev += fmt.Sprintf(" (+%d more)", len(c.Evidence)-1)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Version, c.Source, ev)
	}
	tw.Flush()
	if res == nil {
		fmt.Fprintln(w, "\nVULNERABILITIES: not matched (--no-vulns)")
		return nil
	}
	fmt.Fprintf(w, "\nVULNERABILITIES (%d)\n", len(res.Findings))
	w.Flush()
	return printFindings(out, res)
}

// writeFirmwareSARIF writes weaknesses and vulnerabilities as one SARIF 2.1.0 run.
func writeFirmwareSARIF(w io.Writer, rep *firmware.Report, res *match.Result) error {
	run := newSARIFRun()
	ruleIndex := map[string]int{}
	for _, x := range rep.Weaknesses {
		id := x.Rule + "/" + x.ID
		i, ok := ruleIndex[id]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			ruleIndex[id] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: id, ShortDescription: sarifText{Text: x.Rule + ": " + x.ID},
				Properties: map[string]any{"tags": []string{"security", "firmware", x.Rule}, "requirements": x.Requirements}})
		}
		level := "note"
		switch x.Severity {
		case "critical", "high":
			level = "error"
		case "medium":
			level = "warning"
		}
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: x.Path}}}
		if x.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: x.Line}
		} else if x.Offset > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{ByteOffset: x.Offset}
		}
		props := map[string]any{"severity": x.Severity, "requirements": x.Requirements}
		if x.Evidence != "" {
			props["evidence"] = x.Evidence
		}
		run.Results = append(run.Results, sarifResult{RuleID: id, RuleIndex: i, Level: level, Message: sarifText{Text: x.Message},
			Locations: []sarifLocation{loc}, Properties: props})
	}
	if res != nil {
		addSARIFFindings(&run, rep.Image, rep.SBOM, res.Findings)
		addSARIFCoverage(&run, res.Coverage)
	}
	return encodeSARIF(w, run)
}
