package cli

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// healthFailOn are the --fail-on words that name health verdicts.
var healthFailOn = map[string]health.Kind{
	"eol": health.EndOfLife, "deprecated": health.Deprecated, "unmaintained": health.Unmaintained,
	"mismatch": health.Mismatch, "retracted": health.Retracted,
}

// splitFailOn splits a --fail-on value, a comma-separated list, into the one vulnerability level
// it may hold ("none" when it holds none) and the health kinds.
func splitFailOn(v string) (string, []health.Kind, error) {
	vuln := ""
	var kinds []health.Kind
	for _, w := range strings.Split(v, ",") {
		w = strings.TrimSpace(w)
		if k, ok := healthFailOn[w]; ok {
			kinds = append(kinds, k)
			continue
		}
		if !slices.Contains(failOnLevels, w) {
			return "", nil, usagef("--fail-on takes one of %s, and any of eol, deprecated, unmaintained, mismatch, retracted; not %q",
				strings.Join(failOnLevels, ", "), w)
		}
		if vuln != "" {
			return "", nil, usagef("--fail-on takes at most one vulnerability level (%s), not %s and %s", strings.Join(failOnLevels, ", "), vuln, w)
		}
		vuln = w
	}
	if vuln == "" {
		vuln = "none"
	}
	return vuln, kinds, nil
}

// healthScanFlags are scan's component-health options.
type healthScanFlags struct {
	on           bool
	supportEnd   string
	unmaintained int
}

func (h *healthScanFlags) add(fs *flag.FlagSet) {
	fs.BoolVar(&h.on, "health", false, "also give each component's health: end of life, deprecation, retraction, activity, memory safety")
	fs.StringVar(&h.supportEnd, "support-end", "", "the product release's support end (YYYY-MM or YYYY-MM-DD): components whose support ends earlier are a mismatch")
	fs.IntVar(&h.unmaintained, "unmaintained-after", health.DefaultUnmaintainedMonths, "months without a release after which a package counts as unmaintained")
}

// parseSupportEnd reads YYYY-MM (the last day of that month) or YYYY-MM-DD.
func parseSupportEnd(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01", s); err == nil {
		return t.AddDate(0, 1, -1), nil
	}
	return time.Time{}, usagef("--support-end must be YYYY-MM or YYYY-MM-DD, not %q", s)
}

// scanHealth assesses the document's components with the health data of the database
// directory. Without health data every component is Unknown, and a warning says so.
func scanHealth(env *Env, dir string, doc *sbom.Document, h healthScanFlags, supportEnd time.Time) (*health.Report, error) {
	data, err := health.Load(dir)
	switch {
	case errors.Is(err, health.ErrNoData):
		fmt.Fprintf(env.Stderr, "warning: %v; every component's health is unknown\n", err)
		data = &health.Data{}
	case err != nil:
		return nil, err
	}
	rep := data.Assess(health.FromSBOM(doc), health.Options{Now: env.Now(), SupportEnd: supportEnd, UnmaintainedMonths: h.unmaintained})
	if n := rep.Counts[health.Unknown]; n > 0 {
		fmt.Fprintf(env.Stderr, "warning: the health of %d of %d components is unknown (no end-of-life or registry data covers them)\n", n, len(rep.Results))
	}
	return &rep, nil
}

// healthViolations counts the occurrences with a verdict of one of kinds.
func healthViolations(rep *health.Report, kinds []health.Kind) int {
	if rep == nil || len(kinds) == 0 {
		return 0
	}
	n := 0
	for _, r := range rep.Results {
		if slices.ContainsFunc(kinds, r.Has) {
			n++
		}
	}
	return n
}

// printHealth writes the health section of the table output: the counts, the memory-safety
// share, the sources with their dates, then every component that is not plainly supported.
func printHealth(out io.Writer, rep *health.Report) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "\nCOMPONENT HEALTH (%d components)\n", len(rep.Results))
	for _, k := range health.Kinds {
		fmt.Fprintf(w, "  %-13s %d\n", k, rep.Counts[k])
	}
	m := rep.Memory
	total := m.Safe + m.NotSafe + m.Unknown
	fmt.Fprintf(w, "  memory safety: %d safe, %d not safe, %d unknown (%s safe by count)", m.Safe, m.NotSafe, m.Unknown, percent(m.Safe, total))
	if b := m.SafeBytes + m.NotSafeBytes + m.UnknownBytes; b > 0 {
		fmt.Fprintf(w, "; by code size %s safe of %d bytes", percent64(m.SafeBytes, b), b)
	}
	fmt.Fprintln(w)
	if len(rep.Sources) == 0 {
		fmt.Fprintln(w, "  sources: none (run 'siegel db update --eol ...')")
	}
	for _, s := range rep.Sources {
		fmt.Fprintf(w, "  source %s: %d entries, data of %s\n", s.Name, s.Entries, dateOrUnknown(s.DataDate))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := false
	for _, r := range rep.Results {
		if r.Worst() == health.Supported || r.Worst() == health.Unknown && len(r.Verdicts[0].Source) == 0 {
			continue
		}
		if !header {
			fmt.Fprintln(tw, "\nVERDICT\tPACKAGE\tVERSION\tDETAIL\tSOURCE")
			header = true
		}
		for _, v := range r.Verdicts {
			name := r.Component.PURL
			if name == "" {
				name = r.Component.Name
			}
			if i := strings.IndexAny(name, "@?"); i > 0 && strings.HasPrefix(name, "pkg:") {
				name = name[:i]
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s (%s)\n", v.Kind, name, r.Component.Version, verdictDetail(v), v.Source, dateOrUnknown(v.DataDate))
		}
	}
	tw.Flush()
	return w.Flush()
}

// verdictDetail says what a verdict rests on, in one line.
func verdictDetail(v health.Verdict) string {
	var parts []string
	if v.Product != "" {
		c := v.Product
		if v.Cycle != "" {
			c += " " + v.Cycle
		}
		parts = append(parts, c)
	}
	switch {
	case !v.EndOfLife.IsZero():
		parts = append(parts, "end of life "+v.EndOfLife.Format(time.DateOnly))
	case v.EndOfLifeUndated:
		parts = append(parts, "end of life (no date given)")
	}
	if !v.ReleaseSupportEnd.IsZero() {
		parts = append(parts, "release supported until "+v.ReleaseSupportEnd.Format(time.DateOnly))
	}
	if v.Detail != "" {
		parts = append(parts, v.Detail)
	}
	return strings.Join(parts, "; ")
}

func dateOrUnknown(t time.Time) string {
	if t.IsZero() {
		return "unknown date"
	}
	return t.Format(time.DateOnly)
}

func percent(a, total int) string { return percent64(int64(a), int64(total)) }

func percent64(a, total int64) string {
	if total == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(total))
}

// writeResultJSONHealth writes the findings document of writeResultJSON with a "health" member.
func writeResultJSONHealth(out io.Writer, res *match.Result, rep *health.Report) error {
	var buf bytes.Buffer
	if err := writeResultJSON(&buf, res); err != nil {
		return err
	}
	b := bytes.TrimRight(buf.Bytes(), "\n")
	b = bytes.TrimSuffix(b, []byte("}"))
	b = bytes.TrimRight(b, "\n")
	hb, err := json.MarshalIndent(rep, "  ", "  ")
	if err != nil {
		return err
	}
	if _, err := out.Write(b); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, ",\n  \"health\": %s\n}\n", hb)
	return err
}

// writeSARIFHealth writes the SARIF log of writeSARIF with one result per unhealthy verdict
// (rule ids health/eol, health/deprecated, ...) and the health counts among the run's properties.
func writeSARIFHealth(w io.Writer, target string, doc *sbom.Document, res *match.Result, rep *health.Report) error {
	run := newSARIFRun()
	addSARIFFindings(&run, target, doc, res.Findings)
	addSARIFCoverage(&run, res.Coverage)
	ruleIndex := map[health.Kind]int{}
	for _, r := range rep.Results {
		for _, v := range r.Verdicts {
			if !v.Kind.Unhealthy() {
				continue
			}
			idx, ok := ruleIndex[v.Kind]
			if !ok {
				idx = len(run.Tool.Driver.Rules)
				ruleIndex[v.Kind] = idx
				run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: "health/" + string(v.Kind),
					ShortDescription: sarifText{Text: healthRuleText[v.Kind]}, HelpURI: "https://endoflife.date"})
			}
			name := r.Component.PURL
			if name == "" {
				name = r.Component.Name + "@" + r.Component.Version
			}
			level := "warning"
			if v.Kind == health.EndOfLife || v.Kind == health.Retracted {
				level = "error"
			}
			run.Results = append(run.Results, sarifResult{RuleID: "health/" + string(v.Kind), RuleIndex: idx, Level: level,
				Message:    sarifText{Text: fmt.Sprintf("%s: %s", name, cmp.Or(verdictDetail(v), string(v.Kind)))},
				Locations:  []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: target}}}},
				Properties: map[string]any{"source": v.Source, "dataDate": dateOrUnknown(v.DataDate), "memorySafety": r.Memory}})
		}
	}
	if run.Properties == nil {
		run.Properties = map[string]any{}
	}
	run.Properties["health"] = map[string]any{"counts": rep.Counts, "memorySafety": rep.Memory, "sources": rep.Sources}
	return encodeSARIF(w, run)
}

var healthRuleText = map[health.Kind]string{
	health.EndOfLife:    "The component's release cycle has reached its end of life.",
	health.Retracted:    "The component version was retracted or yanked by its publisher.",
	health.Deprecated:   "The component is deprecated by its publisher.",
	health.Mismatch:     "The component's support ends before the product release's support period.",
	health.Unmaintained: "The component has had no release for longer than the configured period.",
}

// healthUpdateFlags are 'db update's health-data sources.
type healthUpdateFlags struct {
	eol, goProxy, npm, crates, pypi, registries string
	packagesFrom                                stringList
}

func (h *healthUpdateFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&h.eol, "eol", "", `endoflife.date product files: a folder (the repository or its products/), a .tar.gz of the repository, a URL of one, or "live"`)
	fs.StringVar(&h.goProxy, "go-proxy", "", "Go module status (deprecation, retraction): a module proxy URL or a module download cache folder")
	fs.StringVar(&h.npm, "npm", "", "npm package status (deprecation): a registry URL or a folder of registry documents")
	fs.StringVar(&h.crates, "crates", "", "crates.io status (yanked versions): a crates.io URL, a folder of API responses, or an index folder")
	fs.StringVar(&h.pypi, "pypi", "", "PyPI project status (yanked, archived, deprecated): a PyPI URL or a folder of JSON documents")
	fs.StringVar(&h.registries, "registries", "", `"live" to fetch package status from the public Go proxy, npm, crates.io and PyPI`)
	fs.Var(&h.packagesFrom, "health-for", "an SBOM whose packages are looked up in registries given as URLs; repeatable")
}

func (h *healthUpdateFlags) any() bool {
	return h.eol != "" || h.goProxy != "" || h.npm != "" || h.crates != "" || h.pypi != "" || h.registries != ""
}

// run imports the health data named and stores it with what the directory held before: each
// source given replaces its own part (end-of-life products, or the packages it returns).
func (h *healthUpdateFlags) run(ctx context.Context, env *Env, dir string) error {
	data, err := health.Load(dir)
	if errors.Is(err, health.ErrNoData) {
		data, err = &health.Data{}, nil
	}
	if err != nil {
		return err
	}
	if data.Sources == nil {
		data.Sources = map[string]time.Time{}
	}
	hc := &http.Client{Timeout: 10 * time.Minute}
	now := env.Now()
	if h.eol != "" {
		src := h.eol
		if src == "live" {
			src = health.EndOfLifeArchiveURL
		}
		ps, date, err := health.ImportEndOfLife(ctx, src, now, hc)
		if err != nil {
			return fmt.Errorf("end-of-life data: %w", err)
		}
		data.Products = ps
		data.Sources[health.SourceEndOfLife] = date
		env.Log.Info("loaded end-of-life data", "from", src, "products", len(ps), "data_date", date.Format(time.DateOnly))
		fmt.Fprintf(env.Stdout, "%-20s %7d products, data of %s\n", health.SourceEndOfLife, len(ps), date.Format(time.DateOnly))
	}
	reg := health.Registries{GoProxy: h.goProxy, NPM: h.npm, Crates: h.crates, PyPI: h.pypi}
	if h.registries == "live" {
		live := health.LiveRegistries()
		reg = health.Registries{GoProxy: cmp.Or(reg.GoProxy, live.GoProxy), NPM: cmp.Or(reg.NPM, live.NPM),
			Crates: cmp.Or(reg.Crates, live.Crates), PyPI: cmp.Or(reg.PyPI, live.PyPI)}
	} else if h.registries != "" {
		return usagef(`--registries takes "live"; name a local folder with --go-proxy, --npm, --crates or --pypi`)
	}
	if reg != (health.Registries{}) {
		var purls []string
		for _, f := range h.packagesFrom {
			b, err := readInput(env, f)
			if err != nil {
				return err
			}
			doc, err := sbom.Decode(f, b, input.DefaultLimits())
			if err != nil {
				return err
			}
			for _, c := range doc.Components {
				if c.PURL != "" {
					purls = append(purls, c.PURL)
				}
			}
		}
		for _, s := range []string{reg.GoProxy, reg.NPM, reg.Crates, reg.PyPI} {
			if strings.HasPrefix(s, "http") && len(h.packagesFrom) == 0 {
				return usagef("a registry given as a URL needs --health-for SBOM: the packages to look up")
			}
		}
		pkgs, err := health.ImportPackages(ctx, reg, purls, now, hc, env.Log)
		if err != nil {
			// What was read is kept; the packages that failed are named.
			env.Log.Warn("registry status not read for some packages", "err", err)
		}
		data.AddPackages(pkgs)
		fmt.Fprintf(env.Stdout, "%-20s %7d packages\n", "registry status", len(pkgs))
	}
	return data.Save(dir)
}
