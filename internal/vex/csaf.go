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
)

// Publisher is who issues a CSAF document (document.publisher).
type Publisher struct {
	Name      string // the manufacturer
	Namespace string // its web address, such as https://acme.example
	Category  string // vendor (default), coordinator, discoverer, other, translator, user
}

// The CSAF 2.0 subset a csaf_vex document uses, written from the specification (OASIS CSAF
// v2.0, sections 3.2.1 document, 3.2.2 product_tree, 3.2.3 vulnerabilities).
type csafDoc struct {
	Document        csafMeta   `json:"document"`
	ProductTree     *csafTree  `json:"product_tree,omitempty"`
	Vulnerabilities []csafVuln `json:"vulnerabilities,omitempty"`
}

type csafMeta struct {
	Category    string        `json:"category"`
	CSAFVersion string        `json:"csaf_version"`
	Lang        string        `json:"lang,omitempty"`
	Notes       []csafNote    `json:"notes,omitempty"`
	Publisher   csafPublisher `json:"publisher"`
	Title       string        `json:"title"`
	Tracking    csafTracking  `json:"tracking"`
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
	IDs           []csafID          `json:"ids,omitempty"`
	Notes         []csafNote        `json:"notes,omitempty"`
	ProductStatus *csafStatus       `json:"product_status,omitempty"`
	Flags         []csafFlag        `json:"flags,omitempty"`
	Threats       []csafThreat      `json:"threats,omitempty"`
	Remediations  []csafRemediation `json:"remediations,omitempty"`
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
		Publisher: csafPublisher{Category: cmp.Or(pub.Category, "vendor"), Name: pub.Name, Namespace: pub.Namespace},
		Title:     "VEX statements of " + pub.Name,
		Tracking: csafTracking{CurrentReleaseDate: ts, InitialReleaseDate: ts, Status: "final", Version: "1",
			ID: d.trackingID(), RevisionHistory: []csafRevision{{Date: ts, Number: "1", Summary: "Initial version."}}}}}
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
		tree.Relationships = append(tree.Relationships, csafRelationship{Category: "default_component_of", ProductReference: cid, RelatesTo: pid,
			FullProductName: csafProduct{Name: comp + " as part of " + product, ProductID: id}})
		return id
	}
	byVuln := map[string]*csafVuln{}
	var order []string
	for _, s := range d.Statements {
		v := byVuln[s.Vulnerability]
		if v == nil {
			v = &csafVuln{ProductStatus: &csafStatus{}, Notes: []csafNote{{Category: "description", Title: "Status",
				Text: fmt.Sprintf("The status of %s in the products listed, as %s states it.", s.Vulnerability, pub.Name)}}}
			if strings.HasPrefix(s.Vulnerability, "CVE-") {
				v.CVE = s.Vulnerability
			} else {
				v.IDs = append(v.IDs, csafID{SystemName: sourceOf(s.Vulnerability), Text: s.Vulnerability})
			}
			for _, a := range s.Aliases {
				v.IDs = append(v.IDs, csafID{SystemName: sourceOf(a), Text: a})
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
		case Fixed:
			v.ProductStatus.Fixed = append(v.ProductStatus.Fixed, pids...)
		case UnderInvestigation:
			v.ProductStatus.UnderInvestigation = append(v.ProductStatus.UnderInvestigation, pids...)
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
