package vex

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/match"
)

// Publisher is who issues a CSAF document (document.publisher).
type Publisher struct {
	Name      string // the manufacturer
	Namespace string // its web address, such as https://acme.example
	Category  string // vendor (default), coordinator, discoverer, other, translator, user
	// TLP is the document's Traffic Light Protocol label (CSAF 3.2.1.5; 6.2.10 wants one):
	// WHITE (default), GREEN, AMBER or RED.
	TLP string
	// CanonicalURL is the https address the document is served at; its last segment is the file
	// name CSAF gives the tracking id (section 5.1; 6.2.11). The document's tracking id is then
	// ID (which the caller sets to match). Without it, no self reference is written.
	CanonicalURL string
}

// The CSAF 2.0 subset a csaf_vex document uses, written from the specification (OASIS CSAF
// v2.0, sections 3.2.1 document, 3.2.2 product_tree, 3.2.3 vulnerabilities).
type csafDoc struct {
	Document        csafMeta   `json:"document"`
	ProductTree     *csafTree  `json:"product_tree,omitempty"`
	Vulnerabilities []csafVuln `json:"vulnerabilities,omitempty"`
}

// The fields of every struct written are in alphabetical order of their JSON names: CSAF 6.2.13
// asks for sorted keys.
type csafMeta struct {
	Category     string            `json:"category"`
	CSAFVersion  string            `json:"csaf_version"`
	Distribution *csafDistribution `json:"distribution,omitempty"`
	Lang         string            `json:"lang,omitempty"`
	Notes        []csafNote        `json:"notes,omitempty"`
	Publisher    csafPublisher     `json:"publisher"`
	References   []csafReference   `json:"references,omitempty"`
	Title        string            `json:"title"`
	Tracking     csafTracking      `json:"tracking"`
}

type csafDistribution struct {
	TLP *csafTLP `json:"tlp,omitempty"`
}

type csafTLP struct {
	Label string `json:"label"`
	URL   string `json:"url,omitempty"`
}

type csafReference struct {
	Category string `json:"category,omitempty"`
	Summary  string `json:"summary"`
	URL      string `json:"url"`
}

type csafPublisher struct {
	Category  string `json:"category"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

type csafTracking struct {
	CurrentReleaseDate string         `json:"current_release_date"`
	Generator          *csafGenerator `json:"generator,omitempty"`
	ID                 string         `json:"id"`
	InitialReleaseDate string         `json:"initial_release_date"`
	RevisionHistory    []csafRevision `json:"revision_history"`
	Status             string         `json:"status"`
	Version            string         `json:"version"`
}

type csafGenerator struct {
	Date   string `json:"date,omitempty"`
	Engine struct {
		Name    string `json:"name"`
		Version string `json:"version,omitempty"`
	} `json:"engine"`
}

type csafRevision struct {
	Date    string `json:"date"`
	Number  string `json:"number"`
	Summary string `json:"summary"`
}

type csafNote struct {
	Category string `json:"category"`
	Text     string `json:"text"`
	Title    string `json:"title,omitempty"`
}

type csafTree struct {
	FullProductNames []csafProduct      `json:"full_product_names,omitempty"`
	Relationships    []csafRelationship `json:"relationships,omitempty"`
}

type csafProduct struct {
	Name      string      `json:"name"`
	ProductID string      `json:"product_id"`
	Helper    *csafHelper `json:"product_identification_helper,omitempty"`
}

type csafHelper struct {
	CPE  string `json:"cpe,omitempty"`
	PURL string `json:"purl,omitempty"`
}

type csafRelationship struct {
	Category         string      `json:"category"`
	FullProductName  csafProduct `json:"full_product_name"`
	ProductReference string      `json:"product_reference"`
	RelatesTo        string      `json:"relates_to_product_reference"`
}

type csafVuln struct {
	CVE           string            `json:"cve,omitempty"`
	Flags         []csafFlag        `json:"flags,omitempty"`
	IDs           []csafID          `json:"ids,omitempty"`
	Notes         []csafNote        `json:"notes,omitempty"`
	ProductStatus *csafStatus       `json:"product_status,omitempty"`
	Remediations  []csafRemediation `json:"remediations,omitempty"`
	Scores        []csafScore       `json:"scores,omitempty"`
	Threats       []csafThreat      `json:"threats,omitempty"`
}

type csafScore struct {
	CVSSv3   *csafCVSS3 `json:"cvss_v3,omitempty"`
	Products []string   `json:"products"`
}

type csafCVSS3 struct {
	BaseScore    float64 `json:"baseScore"`
	BaseSeverity string  `json:"baseSeverity"`
	VectorString string  `json:"vectorString"`
	Version      string  `json:"version"`
}

type csafID struct {
	SystemName string `json:"system_name"`
	Text       string `json:"text"`
}

type csafStatus struct {
	Fixed              []string `json:"fixed,omitempty"`
	KnownAffected      []string `json:"known_affected,omitempty"`
	KnownNotAffected   []string `json:"known_not_affected,omitempty"`
	UnderInvestigation []string `json:"under_investigation,omitempty"`
}

type csafFlag struct {
	Date       string   `json:"date,omitempty"`
	Label      string   `json:"label"`
	ProductIDs []string `json:"product_ids,omitempty"`
}

type csafThreat struct {
	Category   string   `json:"category"`
	Date       string   `json:"date,omitempty"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids,omitempty"`
}

type csafRemediation struct {
	Category   string   `json:"category"`
	Date       string   `json:"date,omitempty"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids,omitempty"`
}

// noRemediation is the remediation an affected statement without an action gets: CSAF asks for
// one on every known_affected product (test 6.1.27.10).
const noRemediation = "No remediation is available yet."

func (d *Document) encodeCSAF(w io.Writer, pub Publisher) error {
	if pub.Name == "" || pub.Namespace == "" {
		return fmt.Errorf("CSAF needs the publisher's name and namespace (its web address)")
	}
	ts := d.Timestamp.UTC().Format(time.RFC3339)
	c := csafDoc{Document: csafMeta{Category: "csaf_vex", CSAFVersion: "2.0", Lang: "en",
		Distribution: &csafDistribution{TLP: &csafTLP{Label: cmp.Or(pub.TLP, "WHITE"), URL: "https://www.first.org/tlp/"}},
		Publisher:    csafPublisher{Category: cmp.Or(pub.Category, "vendor"), Name: pub.Name, Namespace: pub.Namespace},
		Title:        "VEX statements of " + pub.Name,
		Tracking: csafTracking{CurrentReleaseDate: ts, InitialReleaseDate: ts, Status: "final", Version: "1",
			ID: d.trackingID(), RevisionHistory: []csafRevision{{Date: ts, Number: "1", Summary: "Initial version."}}}}}
	if pub.CanonicalURL != "" {
		c.Document.References = []csafReference{{Category: "self", Summary: "Canonical URL", URL: pub.CanonicalURL}}
	}
	c.Document.Tracking.Generator = &csafGenerator{Date: ts}
	c.Document.Tracking.Generator.Engine.Name = "Siegel"
	tree := &csafTree{}
	ids := map[string]string{} // identifier -> product id
	idOf := func(ident string) string {
		if id, ok := ids[ident]; ok {
			return id
		}
		id := fmt.Sprintf("CSAFPID-%04d", len(ids)+1)
		ids[ident] = id
		tree.FullProductNames = append(tree.FullProductNames, csafProduct{Name: ident, ProductID: id, Helper: helperOf(ident)})
		return id
	}
	rels := map[[2]string]string{}
	partOf := func(comp, product string) string {
		k := [2]string{comp, product}
		if id, ok := rels[k]; ok {
			return id
		}
		cid, pid := idOf(comp), idOf(product)
		id := cid + "-IN-" + pid
		rels[k] = id
		// The component as part of the product is identified by the component's own identifier
		// (CSAF 6.2.16 wants a product identification helper on every product).
		tree.Relationships = append(tree.Relationships, csafRelationship{Category: "default_component_of", ProductReference: cid, RelatesTo: pid,
			FullProductName: csafProduct{Name: comp + " as part of " + product, ProductID: id, Helper: helperOf(comp)}})
		return id
	}
	byVuln := map[string]*csafVuln{}
	var order []string
	for _, s := range d.Statements {
		v := byVuln[s.Vulnerability]
		if v == nil {
			v = &csafVuln{ProductStatus: &csafStatus{}, Notes: []csafNote{{Category: "description", Title: "Status",
				Text: fmt.Sprintf("The status of %s in the products listed, as %s states it.", s.Vulnerability, pub.Name)}}}
			var otherCVEs []string
			for _, id := range append([]string{s.Vulnerability}, s.Aliases...) {
				switch {
				case !strings.HasPrefix(id, "CVE-"):
					v.IDs = append(v.IDs, csafID{SystemName: sourceOf(id), Text: id})
				case v.CVE == "": // one CVE per vulnerability, never among its ids (6.2.17)
					v.CVE = id
				default:
					otherCVEs = append(otherCVEs, id)
				}
			}
			if len(otherCVEs) > 0 {
				v.Notes = append(v.Notes, csafNote{Category: "other", Title: "Other CVE identifiers", Text: "Also known as " + strings.Join(otherCVEs, ", ") + "."})
			}
			byVuln[s.Vulnerability] = v
			order = append(order, s.Vulnerability)
		}
		var pids []string
		if len(s.Components) == 0 {
			pids = []string{idOf(s.Product)}
		}
		for _, comp := range s.Components {
			pids = append(pids, partOf(comp, s.Product))
		}
		date := ""
		if !s.Timestamp.IsZero() {
			date = s.Timestamp.UTC().Format(time.RFC3339)
		}
		switch s.Status {
		case NotAffected:
			v.ProductStatus.KnownNotAffected = append(v.ProductStatus.KnownNotAffected, pids...)
			if s.Justification != "" {
				v.Flags = append(v.Flags, csafFlag{Label: s.Justification, ProductIDs: pids, Date: date})
			}
			if s.Impact != "" {
				v.Threats = append(v.Threats, csafThreat{Category: "impact", Details: s.Impact, ProductIDs: pids, Date: date})
			}
		case Affected:
			v.ProductStatus.KnownAffected = append(v.ProductStatus.KnownAffected, pids...)
			if s.Action != "" {
				v.Remediations = append(v.Remediations, csafRemediation{Category: "vendor_fix", Details: s.Action, ProductIDs: pids, Date: date})
			} else {
				v.Remediations = append(v.Remediations, csafRemediation{Category: "none_available", Details: noRemediation, ProductIDs: pids, Date: date})
			}
			v.addScore(s, pids)
		case Fixed:
			v.ProductStatus.Fixed = append(v.ProductStatus.Fixed, pids...)
		case UnderInvestigation:
			v.ProductStatus.UnderInvestigation = append(v.ProductStatus.UnderInvestigation, pids...)
			// CSAF 6.2.2 asks for a remediation on products under investigation too.
			v.Remediations = append(v.Remediations, csafRemediation{Category: "none_available", Details: underInvestigation, ProductIDs: pids, Date: date})
			v.addScore(s, pids)
		}
	}
	for _, id := range order {
		c.Vulnerabilities = append(c.Vulnerabilities, *byVuln[id])
	}
	c.ProductTree = tree
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// underInvestigation is the remediation of a product whose status is still being investigated.
const underInvestigation = "The vulnerability is under investigation; no remediation is available yet."

// addScore gives the statement's CVSS v3 score to products that have the vulnerability (CSAF
// 6.2.3); fixed and not affected products get none (6.2.19). CSAF 2.0 has no place for CVSS v4.
func (v *csafVuln) addScore(s Statement, pids []string) {
	if !strings.HasPrefix(s.CVSS, "CVSS:3.0/") && !strings.HasPrefix(s.CVSS, "CVSS:3.1/") || s.Score <= 0 {
		return
	}
	version := s.CVSS[len("CVSS:"):len("CVSS:3.x")]
	for i := range v.Scores {
		if v.Scores[i].CVSSv3.VectorString == s.CVSS {
			v.Scores[i].Products = append(v.Scores[i].Products, pids...)
			return
		}
	}
	v.Scores = append(v.Scores, csafScore{Products: slices.Clone(pids),
		CVSSv3: &csafCVSS3{BaseScore: s.Score, BaseSeverity: match.Rating(s.Score), VectorString: s.CVSS, Version: version}})
}

// trackingID is the document's id, or one derived from its content.
func (d *Document) trackingID() string {
	if id := strings.TrimSpace(d.ID); id != "" && !strings.ContainsAny(id, " \t\n") {
		return id
	}
	h := sha256.New()
	for _, s := range d.Statements {
		h.Write([]byte(s.Vulnerability + "\x00" + s.Product + "\x00" + string(s.Status) + "\x00"))
	}
	h.Write([]byte(d.Timestamp.UTC().Format(time.RFC3339)))
	return "SIEGEL-VEX-" + strings.ToUpper(hex.EncodeToString(h.Sum(nil))[:16])
}

func helperOf(ident string) *csafHelper {
	switch {
	case strings.HasPrefix(ident, "pkg:"):
		return &csafHelper{PURL: ident}
	case strings.HasPrefix(ident, "cpe:"):
		return &csafHelper{CPE: ident}
	}
	return nil
}

func decodeCSAF(name string, data []byte) (*Document, error) {
	var c csafDoc
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, input.JSONError(name, data, err)
	}
	if c.Document.CSAFVersion != "2.0" {
		return nil, &input.Error{File: name, Pointer: "/document/csaf_version", Rule: "CSAF", Err: fmt.Errorf("version %q: Siegel reads CSAF 2.0", c.Document.CSAFVersion)}
	}
	d := &Document{ID: c.Document.Tracking.ID, Author: c.Document.Publisher.Name}
	if t, err := time.Parse(time.RFC3339, c.Document.Tracking.CurrentReleaseDate); err == nil {
		d.Timestamp = t.UTC()
	}
	type ref struct{ product, component string }
	refs := map[string]ref{}
	if t := c.ProductTree; t != nil {
		for _, p := range t.FullProductNames {
			refs[p.ProductID] = ref{product: identOf(p)}
		}
		for _, r := range t.Relationships {
			refs[r.FullProductName.ProductID] = ref{product: refs[r.RelatesTo].product, component: refs[r.ProductReference].product}
		}
	}
	for i, v := range c.Vulnerabilities {
		vid, aliases := v.CVE, []string{}
		for _, id := range v.IDs {
			aliases = append(aliases, id.Text)
		}
		if vid == "" && len(aliases) > 0 {
			vid, aliases = aliases[0], aliases[1:]
		}
		if vid == "" {
			return nil, &input.Error{File: name, Pointer: fmt.Sprintf("/vulnerabilities/%d", i), Rule: "CSAF 6.1.27.8", Err: fmt.Errorf("a vulnerability without cve or ids")}
		}
		if len(aliases) == 0 {
			aliases = nil
		}
		ps := v.ProductStatus
		if ps == nil {
			continue
		}
		for _, group := range []struct {
			status Status
			ids    []string
		}{{NotAffected, ps.KnownNotAffected}, {Affected, ps.KnownAffected}, {Fixed, ps.Fixed}, {UnderInvestigation, ps.UnderInvestigation}} {
			// Statements of one product with the same content are one statement over its components.
			type key struct {
				product, justification, impact, action, date string
			}
			merged := map[key]*Statement{}
			var keys []key
			for _, pid := range group.ids {
				r, ok := refs[pid]
				if !ok {
					return nil, &input.Error{File: name, Pointer: fmt.Sprintf("/vulnerabilities/%d/product_status", i), Rule: "CSAF 6.1.1", Err: fmt.Errorf("product id %q is not defined in the product tree", pid)}
				}
				k := key{product: r.product}
				for _, f := range v.Flags {
					if slices.Contains(f.ProductIDs, pid) {
						k.justification, k.date = f.Label, f.Date
					}
				}
				for _, t := range v.Threats {
					if t.Category == "impact" && (len(t.ProductIDs) == 0 || slices.Contains(t.ProductIDs, pid)) {
						k.impact = t.Details
						k.date = cmp.Or(k.date, t.Date)
					}
				}
				if group.status == Affected {
					for _, rm := range v.Remediations {
						if len(rm.ProductIDs) == 0 || slices.Contains(rm.ProductIDs, pid) {
							if !(rm.Category == "none_available" && rm.Details == noRemediation) {
								k.action = rm.Details
							}
							k.date = cmp.Or(k.date, rm.Date)
						}
					}
				}
				s := merged[k]
				if s == nil {
					s = &Statement{Vulnerability: vid, Aliases: aliases, Product: r.product, Status: group.status,
						Justification: k.justification, Impact: k.impact, Action: k.action, Timestamp: d.Timestamp}
					if t, err := time.Parse(time.RFC3339, k.date); err == nil {
						s.Timestamp = t.UTC()
					}
					merged[k] = s
					keys = append(keys, k)
				}
				if r.component != "" {
					s.Components = append(s.Components, r.component)
				}
			}
			for _, k := range keys {
				d.Statements = append(d.Statements, *merged[k])
			}
		}
	}
	return d, nil
}

func identOf(p csafProduct) string {
	if p.Helper != nil {
		if p.Helper.PURL != "" {
			return p.Helper.PURL
		}
		if p.Helper.CPE != "" {
			return p.Helper.CPE
		}
	}
	return p.Name
}
