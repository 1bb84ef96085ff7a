package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/csaf"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vex"
)

// VEXInput is a triage decision as the API and the form take it.
type VEXInput struct {
	PURL          string `json:"purl"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
	Impact        string `json:"impact"`
	Action        string `json:"action"`
	// ExpiresAt makes the decision a suppression that ends then (YYYY-MM-DD: at the end of that
	// day, UTC; or an RFC 3339 time).
	ExpiresAt string `json:"expiresAt"`
}

// SetVEX records a triage decision about a finding of the release.
func (s *Deps) SetVEX(ctx context.Context, release int64, vuln string, in VEXInput, author string) (*store.VEX, error) {
	if _, err := s.Store.FindingByKey(ctx, release, vuln, in.PURL); err != nil {
		return nil, err
	}
	exp, err := ParseExpiry(in.ExpiresAt)
	if err != nil {
		return nil, err
	}
	return s.Store.SetVEX(ctx, store.VEX{Release: release, Vulnerability: vuln, PURL: in.PURL, Status: in.Status,
		Justification: in.Justification, Impact: strings.TrimSpace(in.Impact), Action: strings.TrimSpace(in.Action), Author: author, ExpiresAt: exp})
}

// ParseExpiry reads the end of a suppression: a date (the suppression ends at the end of that
// day, UTC) or an RFC 3339 time; "" is none.
func ParseExpiry(v string) (*time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		t = t.Add(24*time.Hour - time.Second)
		return &t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, fmt.Errorf("expiry %q: give a date (YYYY-MM-DD) or a time (RFC 3339)", v)
	}
	return &t, nil
}

// productPURL names a release in VEX documents: pkg:generic/ORGANIZATION/PRODUCT@VERSION.
func productPURL(org string, prod *store.Product, rel *store.Release) string {
	return purl.New("generic", org, prod.Name, rel.Version)
}

// ReleaseVEX is the VEX document of a release: the manufacturer's statement for each finding in
// force, under_investigation where there is none yet.
func (s *Deps) ReleaseVEX(ctx context.Context, org string, prod *store.Product, rel *store.Release) (*vex.Document, error) {
	fs, _, err := s.LoadFindings(ctx, rel.ID, store.FindingFilter{Limit: 100_000})
	if err != nil {
		return nil, err
	}
	// Where the database has no CVSS v3 vector, the severity the manufacturer gave in its advisory.
	as, err := s.Store.Advisories(ctx, prod.Organization)
	if err != nil {
		return nil, err
	}
	assessed := map[string]string{}
	for _, a := range as {
		if a.Product == prod.ID {
			assessed[a.Vulnerability] = csaf.CVSSVector(a.Document)
		}
	}
	d := &vex.Document{Author: org, Timestamp: s.Now().UTC()}
	product := productPURL(org, prod, rel)
	for _, f := range fs {
		st := vex.Statement{Vulnerability: f.ID, Aliases: f.Aliases, Product: product, Components: []string{f.Package.PURL},
			Status: vex.UnderInvestigation, Timestamp: f.FirstSeen, CVSS: f.Vector, Score: f.Score}
		if v := assessed[f.ID]; !strings.HasPrefix(st.CVSS, "CVSS:3.") && v != "" {
			if score, ok := match.CVSSBaseScore(v); ok {
				st.CVSS, st.Score = v, score
			}
		}
		if f.VEX != nil {
			st.Status, st.Justification, st.Impact, st.Action, st.Timestamp = vex.Status(f.VEX.Status), f.VEX.Justification, f.VEX.Impact, f.VEX.Action, f.VEX.Time
		}
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}

// EncodeVEX writes a release's VEX document. A CSAF document names its canonical URL — the
// API address below that serves it — at the server's public address, which must be configured.
func (s *Deps) EncodeVEX(d *vex.Document, format string, org string, rel *store.Release) ([]byte, error) {
	pub := vex.Publisher{Name: org}
	if format == vex.CSAF {
		base, err := s.PublicBase()
		if err != nil {
			return nil, err
		}
		d.ID = fmt.Sprintf("%s-VEX-%d", TrackingPrefix(org), rel.ID)
		pub.Namespace, pub.CanonicalURL = base, fmt.Sprintf("%s/api/v1/releases/%d/vex/%s", base, rel.ID, csaf.FileName(d.ID))
	}
	return d.Encode(format, pub)
}

// SafeName is s with every character other than letters, digits, dot, dash and underscore replaced
// by an underscore, for file names.
func SafeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// VEXImport is what an import did.
type VEXImport struct {
	Format    string          `json:"format"`
	Applied   int             `json:"applied"`   // findings whose status changed
	Unchanged int             `json:"unchanged"` // findings that already had this statement
	Unmatched []vex.Statement `json:"unmatched"` // statements that cover no finding of the release
}

// ImportVEX applies a VEX document's statements to the findings of a release they cover. Each
// change is recorded as the release's VEX history (author: who imported it, from the document).
func (s *Deps) ImportVEX(ctx context.Context, name string, data []byte, org string, prod *store.Product, rel *store.Release, by string) (*VEXImport, error) {
	d, format, err := vex.Decode(name, data, input.Limits{MaxBytes: 64 << 20})
	if err != nil {
		return nil, err
	}
	fs, _, err := s.LoadFindings(ctx, rel.ID, store.FindingFilter{Limit: 100_000})
	if err != nil {
		return nil, err
	}
	out := &VEXImport{Format: format, Unmatched: []vex.Statement{}}
	used := make([]bool, len(d.Statements))
	product := productPURL(org, prod, rel)
	for _, f := range fs {
		st := d.Lookup(append([]string{f.ID}, f.Aliases...), product, f.Package.PURL)
		if st == nil {
			continue
		}
		for i := range d.Statements {
			if &d.Statements[i] == st {
				used[i] = true
			}
		}
		same := f.VEX != nil && f.VEX.Status == string(st.Status) && f.VEX.Justification == st.Justification && f.VEX.Impact == st.Impact && f.VEX.Action == st.Action
		// An untriaged finding is under investigation already (that is how it is exported).
		if same || (f.VEX == nil && st.Status == vex.UnderInvestigation) {
			out.Unchanged++
			continue
		}
		author := by
		if d.Author != "" {
			author = by + " (from " + d.Author + ")"
		}
		if _, err := s.Store.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: f.ID, PURL: f.Package.PURL, Status: string(st.Status),
			Justification: st.Justification, Impact: st.Impact, Action: st.Action, Author: author}); err != nil {
			return nil, fmt.Errorf("%s (%s in %s): %w", name, f.ID, f.Package.PURL, err)
		}
		out.Applied++
	}
	for i, ok := range used {
		if !ok {
			out.Unmatched = append(out.Unmatched, d.Statements[i])
		}
	}
	return out, nil
}
