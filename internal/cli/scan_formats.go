package cli

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// scanFormats are the output formats of siegel scan.
var scanFormats = []string{"table", "json", "sarif", "cyclonedx", "openvex"}

// writeResultJSON writes res as encoding/json indents it (two spaces), one finding at a time:
// a large scan's report is never held in memory whole.
func writeResultJSON(out io.Writer, res *match.Result) error {
	w := bufio.NewWriterSize(out, 64<<10)
	w.WriteString("{\n  \"findings\": ")
	if err := writeJSONArray(w, res.Findings, "  "); err != nil {
		return err
	}
	if len(res.Unmatched) > 0 {
		b, err := json.MarshalIndent(res.Unmatched, "  ", "  ")
		if err != nil {
			return err
		}
		w.WriteString(",\n  \"unmatched\": ")
		w.Write(b)
	}
	fmt.Fprintf(w, ",\n  \"scanned\": %d", res.Scanned)
	if res.Coverage != nil {
		if err := writeJSONField(w, "  ", "coverage", res.Coverage); err != nil {
			return err
		}
	}
	if len(res.NotChecked) > 0 {
		w.WriteString(",\n  \"notChecked\": ")
		if err := writeJSONArray(w, res.NotChecked, "  "); err != nil {
			return err
		}
	}
	w.WriteString("\n}\n")
	return w.Flush()
}

// writeJSONField writes `,"name": v` as encoding/json's two-space indenting writes a member of
// an object whose members are indented by indent.
func writeJSONField(w *bufio.Writer, indent, name string, v any) error {
	b, err := json.MarshalIndent(v, indent, "  ")
	if err != nil {
		return err
	}
	w.WriteString(",\n" + indent + strconv.Quote(name) + ": ")
	w.Write(b)
	return nil
}

// writeJSONArray writes items as encoding/json's two-space indenting writes an array whose
// line is indented by indent, marshalling one item at a time.
func writeJSONArray[T any](w *bufio.Writer, items []T, indent string) error {
	inner := indent + "  "
	w.WriteByte('[')
	for i, it := range items {
		b, err := json.MarshalIndent(it, inner, "  ")
		if err != nil {
			return err
		}
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n" + inner)
		w.Write(b)
	}
	if len(items) > 0 {
		w.WriteString("\n" + indent)
	}
	w.WriteByte(']')
	return nil
}

// byID groups findings by vulnerability id, keeping the order of first appearance (exploited
// and most severe first).
func byID(fs []*match.Finding) (ids []string, groups map[string][]*match.Finding) {
	groups = map[string][]*match.Finding{}
	for _, f := range fs {
		if _, ok := groups[f.ID]; !ok {
			ids = append(ids, f.ID)
		}
		groups[f.ID] = append(groups[f.ID], f)
	}
	return ids, groups
}

// writeVDR writes the scanned document with its vulnerabilities as a CycloneDX 1.6 vulnerability
// disclosure report: one vulnerability per id, affecting every component it was found in.
func writeVDR(w io.Writer, doc *sbom.Document, fs []*match.Finding, cov *match.Coverage) error {
	out := *doc
	out.Vulnerabilities = nil
	if cov != nil {
		out.Properties = append(slices.Clip(out.Properties), coverageProperties(cov)...)
	}
	ids, groups := byID(fs)
	for _, id := range ids {
		g := groups[id]
		f := g[0]
		v := sbom.Vulnerability{ID: id, SourceName: "OSV", SourceURL: "https://osv.dev/vulnerability/" + f.Records[0],
			Aliases: f.Aliases, Description: f.Summary}
		if f.Score > 0 {
			v.Ratings = append(v.Ratings, sbom.Rating{Score: f.Score, Severity: strings.ToLower(f.Severity), Method: cvssMethod(f.Vector), Vector: f.Vector})
		} else if f.Severity != "UNKNOWN" {
			v.Ratings = append(v.Ratings, sbom.Rating{Severity: strings.ToLower(f.Severity), Method: "other"})
		}
		var recs []string
		for _, x := range g {
			v.Affects = append(v.Affects, x.Package.Ref)
			if len(x.Fixed) > 0 {
				recs = append(recs, fmt.Sprintf("upgrade %s to %s", x.Package.Name, x.Fixed[0]))
			}
		}
		if len(recs) > 0 {
			v.Recommendation = strings.Join(slices.Compact(recs), "; ")
		}
		if kev := f.KEV(); kev != nil {
			v.Properties = append(v.Properties,
				sbom.Property{Name: "siegel:kev:date-added", Value: kev.DateAdded},
				sbom.Property{Name: "siegel:kev:due-date", Value: kev.DueDate},
				sbom.Property{Name: "siegel:kev:ransomware", Value: kev.Ransomware})
		}
		for _, e := range f.EUVDEntries() {
			v.Aliases = append(v.Aliases, e.ID)
			if e.Exploited {
				v.Properties = append(v.Properties, sbom.Property{Name: "siegel:euvd:exploited", Value: e.ID})
			}
		}
		if epss := f.EPSSScore(); epss != nil {
			v.Properties = append(v.Properties, sbom.Property{Name: "siegel:epss", Value: strconv.FormatFloat(epss.Score, 'f', 5, 64)})
		}
		if f.Source != "" {
			v.Properties = append(v.Properties, sbom.Property{Name: "siegel:severity:source", Value: f.Source + " (" + f.From + ")"})
		}
		out.Vulnerabilities = append(out.Vulnerabilities, v)
	}
	return sbom.Write(w, &out, sbom.CycloneDXJSON)
}

func cvssMethod(vector string) string {
	switch {
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		return "CVSSv4"
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		return "CVSSv31"
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		return "CVSSv3"
	case strings.HasPrefix(vector, "AV:"), strings.HasPrefix(vector, "(AV:"):
		return "CVSSv2"
	}
	return "other"
}

// SARIF 2.1.0 (OASIS), the part Siegel writes: one rule per vulnerability, one result per finding.
type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

// sarifInvocation carries the run's notifications: what a reader must know of what was not
// checked (SARIF 2.1.0, 3.20.21 toolExecutionNotifications).
type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	ShortDescription sarifText      `json:"shortDescription"`
	HelpURI          string         `json:"helpUri,omitempty"`
	Properties       map[string]any `json:"properties,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifText       `json:"message"`
	Locations  []sarifLocation `json:"locations"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifRegion struct {
	StartLine  int   `json:"startLine,omitempty"`
	ByteOffset int64 `json:"byteOffset,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

// writeSARIF writes findings as SARIF 2.1.0 for code-scanning dashboards. The location of a
// finding is the file the component was found in (or the scanned SBOM).
func writeSARIF(w io.Writer, target string, doc *sbom.Document, res *match.Result) error {
	run := newSARIFRun()
	addSARIFFindings(&run, target, doc, res.Findings)
	addSARIFCoverage(&run, res.Coverage)
	return encodeSARIF(w, run)
}

// addSARIFCoverage states the coverage as the run's properties and its warnings as
// notifications of the run's invocation.
func addSARIFCoverage(run *sarifRun, cov *match.Coverage) {
	if cov == nil {
		return
	}
	run.Properties = map[string]any{"coverage": cov}
	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, m := range cov.Warnings {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "warning", Message: sarifText{Text: m}})
	}
	run.Invocations = []sarifInvocation{inv}
}

// newSARIFRun is an empty run of Siegel's.
func newSARIFRun() sarifRun {
	return sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "siegel", Version: buildVersion(), InformationURI: "https://github.com/siegel-oss/siegel",
		Rules: []sarifRule{}}}, Results: []sarifResult{}}
}

// encodeSARIF writes a log of the one run as encoding/json indents it (two spaces), one result
// at a time: a report of many thousand results is never held in memory whole.
func encodeSARIF(out io.Writer, run sarifRun) error {
	w := bufio.NewWriterSize(out, 64<<10)
	tool, err := json.MarshalIndent(run.Tool, "      ", "  ")
	if err != nil {
		return err
	}
	w.WriteString("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": ")
	w.Write(tool)
	if run.Invocations != nil {
		if err := writeJSONField(w, "      ", "invocations", run.Invocations); err != nil {
			return err
		}
	}
	w.WriteString(",\n      \"results\": ")
	if err := writeJSONArray(w, run.Results, "      "); err != nil {
		return err
	}
	if run.Properties != nil {
		if err := writeJSONField(w, "      ", "properties", run.Properties); err != nil {
			return err
		}
	}
	w.WriteString("\n    }\n  ]\n}\n")
	return w.Flush()
}

// addSARIFFindings appends a rule per vulnerability and a result per finding to run.
func addSARIFFindings(run *sarifRun, target string, doc *sbom.Document, fs []*match.Finding) {
	locations := map[string]string{}
	for _, c := range doc.Components {
		for _, p := range c.Properties {
			if p.Name == "siegel:location" {
				locations[c.Ref] = p.Value
				break
			}
		}
	}
	ids, groups := byID(fs)
	for _, id := range ids {
		f := groups[id][0]
		rule := sarifRule{ID: id, ShortDescription: sarifText{Text: cmpOr(f.Summary, id)}, HelpURI: "https://osv.dev/vulnerability/" + f.Records[0],
			Properties: map[string]any{"tags": []string{"security", "vulnerability"}}}
		if f.Score > 0 {
			// GitHub code scanning reads this property to rank security results.
			rule.Properties["security-severity"] = strconv.FormatFloat(f.Score, 'f', 1, 64)
		}
		i := len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rule)
		for _, x := range groups[id] {
			uri := cmpOr(locations[x.Package.Ref], target)
			msg := fmt.Sprintf("%s %s is affected by %s", x.Package.Name, x.Package.Version, id)
			if len(x.Fixed) > 0 {
				msg += "; fixed in " + x.Fixed[0]
			}
			if kev := x.KEV(); kev != nil {
				msg += "; known to be exploited (CISA KEV, added " + kev.DateAdded + ")"
			}
			props := map[string]any{"purl": x.Package.PURL, "severity": x.Severity}
			if x.Source != "" {
				props["severitySource"], props["severityFrom"] = x.Source, x.From
			}
			if len(x.Aliases) > 0 {
				props["aliases"] = x.Aliases
			}
			run.Results = append(run.Results, sarifResult{RuleID: id, RuleIndex: i, Level: sarifLevel(x), Message: sarifText{Text: msg},
				Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}}}}, Properties: props})
		}
	}
}

func sarifLevel(f *match.Finding) string {
	switch {
	case f.IsExploited() || match.SeverityAtLeast(f, "HIGH"):
		return "error"
	case match.SeverityAtLeast(f, "MEDIUM") || f.Severity == "UNKNOWN":
		return "warning"
	}
	return "note"
}

// writeOpenVEX writes one OpenVEX statement per vulnerability, with status under_investigation:
// a scan shows that a version is in an affected range, not yet whether the product is affected —
// that is the triage the manufacturer records (the server's VEX workflow, or scan --vex, whose
// statements are carried over).
func writeOpenVEX(w io.Writer, doc *sbom.Document, fs []*match.Finding, now time.Time) error {
	product := doc.Name
	if i, ok := doc.Index()[doc.Subject]; ok {
		c := doc.Components[i]
		product = cmpOr(c.PURL, strings.TrimSpace(c.Name+" "+c.Version))
	}
	product = cmpOr(product, "product")
	ts := now.UTC()
	out := vex.VEX{Metadata: vex.Metadata{Context: vex.Context + "/v" + vex.SpecVersion, Author: "siegel scan", Timestamp: &ts,
		Version: 1, Tooling: "siegel " + buildVersion()}}
	ids, groups := byID(fs)
	for _, id := range ids {
		// One statement per vulnerability and triage state: findings the manufacturer stated
		// (scan --vex) keep that statement; the others are under investigation.
		var states []match.VEXState
		byState := map[match.VEXState][]*match.Finding{}
		for _, f := range groups[id] {
			state := match.VEXState{Status: string(vex.StatusUnderInvestigation)}
			if f.VEX != nil {
				state = *f.VEX
			}
			if _, ok := byState[state]; !ok {
				states = append(states, state)
			}
			byState[state] = append(byState[state], f)
		}
		for _, state := range states {
			g := byState[state]
			st := vex.Statement{Vulnerability: vex.Vulnerability{Name: vex.VulnerabilityID(id), Description: g[0].Summary},
				Status: vex.Status(state.Status), Justification: vex.Justification(state.Justification),
				ImpactStatement: state.Impact, ActionStatement: state.Action}
			for _, a := range g[0].Aliases {
				st.Vulnerability.Aliases = append(st.Vulnerability.Aliases, vex.VulnerabilityID(a))
			}
			p := vex.Product{Component: vex.Component{ID: product}}
			for _, f := range g {
				p.Subcomponents = append(p.Subcomponents, vex.Subcomponent{Component: vex.Component{ID: cmpOr(f.Package.PURL, f.Package.Name+"@"+f.Package.Version)}})
			}
			st.Products = []vex.Product{p}
			out.Statements = append(out.Statements, st)
		}
	}
	if out.Statements == nil {
		out.Statements = []vex.Statement{}
	}
	// A content-derived id: the same findings give the same document id.
	h := sha256.New()
	json.NewEncoder(h).Encode(out.Statements)
	out.ID = "https://openvex.dev/docs/siegel/" + hex.EncodeToString(h.Sum(nil))[:32]
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
