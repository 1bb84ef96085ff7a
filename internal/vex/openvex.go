package vex

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"time"

	ovex "github.com/openvex/go-vex/pkg/vex"

	"github.com/siegel-oss/siegel/internal/input"
)

func decodeOpenVEX(name string, data []byte) (*Document, error) {
	v, err := ovex.Parse(data)
	if err != nil {
		return nil, &input.Error{File: name, Rule: "OpenVEX", Err: err}
	}
	d := &Document{ID: v.ID, Author: v.Author}
	if v.Timestamp != nil {
		d.Timestamp = v.Timestamp.UTC()
	}
	for _, st := range v.Statements {
		s := Statement{Vulnerability: string(st.Vulnerability.Name), Status: Status(st.Status), Justification: string(st.Justification),
			Impact: st.ImpactStatement, Action: st.ActionStatement, Timestamp: d.Timestamp}
		for _, a := range st.Vulnerability.Aliases {
			s.Aliases = append(s.Aliases, string(a))
		}
		if st.Timestamp != nil {
			s.Timestamp = st.Timestamp.UTC()
		}
		if len(st.Products) == 0 {
			st.Products = []ovex.Product{{}}
		}
		// One statement per product: Siegel's statements are about one product each.
		for _, p := range st.Products {
			ps := s
			ps.Product = productID(p.Component)
			for _, sc := range p.Subcomponents {
				ps.Components = append(ps.Components, productID(sc.Component))
			}
			d.Statements = append(d.Statements, ps)
		}
	}
	return d, nil
}

// productID is a component's identifier: its IRI, else its purl, else its CPE.
func productID(c ovex.Component) string {
	if c.ID != "" {
		return c.ID
	}
	for _, t := range []ovex.IdentifierType{ovex.PURL, ovex.CPE23, ovex.CPE22} {
		if id := c.Identifiers[t]; id != "" {
			return id
		}
	}
	return ""
}

func (d *Document) encodeOpenVEX(w io.Writer) error {
	ts := d.Timestamp.UTC()
	v := ovex.VEX{Metadata: ovex.Metadata{Context: ovex.ContextLocator(), Author: d.Author, Timestamp: &ts, Version: 1}}
	for _, s := range d.Statements {
		st := ovex.Statement{Vulnerability: ovex.Vulnerability{Name: ovex.VulnerabilityID(s.Vulnerability)}, Status: ovex.Status(s.Status),
			Justification: ovex.Justification(s.Justification), ImpactStatement: s.Impact, ActionStatement: s.Action}
		if !s.Timestamp.IsZero() {
			t := s.Timestamp.UTC()
			st.Timestamp = &t
		}
		for _, a := range s.Aliases {
			st.Vulnerability.Aliases = append(st.Vulnerability.Aliases, ovex.VulnerabilityID(a))
		}
		p := ovex.Product{Component: ovex.Component{ID: s.Product}}
		for _, c := range s.Components {
			p.Subcomponents = append(p.Subcomponents, ovex.Subcomponent{Component: ovex.Component{ID: c}})
		}
		st.Products = []ovex.Product{p}
		v.Statements = append(v.Statements, st)
	}
	if v.Statements == nil {
		v.Statements = []ovex.Statement{}
	}
	v.ID = d.ID
	if v.ID == "" {
		h := sha256.New()
		for _, s := range d.Statements {
			h.Write([]byte(s.Vulnerability + "\x00" + s.Product + "\x00" + string(s.Status) + "\x00"))
		}
		h.Write([]byte(ts.Format(time.RFC3339Nano)))
		v.ID = "https://openvex.dev/docs/siegel/" + hex.EncodeToString(h.Sum(nil))[:32]
	}
	return v.ToJSON(w)
}
