package authority

import (
	"time"

	"github.com/siegel-oss/siegel/internal/cra"
)

// CaseInput is one reporting case as the authority's view reads it.
type CaseInput struct {
	ID            int64
	Title         string
	Type          string
	Product       string
	Vulnerability string
	Record        cra.Record
	Submitted     map[string]time.Time
}

// ManufacturerInput is a manufacturer with its cases.
type ManufacturerInput struct {
	Manufacturer Manufacturer
	Cases        []CaseInput
}

// CaseReport is a case with each stage judged.
type CaseReport struct {
	ID            int64   `json:"id"`
	Title         string  `json:"title"`
	Type          string  `json:"type"`
	Product       string  `json:"product,omitempty"`
	Vulnerability string  `json:"vulnerability,omitempty"`
	Calendar      string  `json:"calendar"`
	Stages        []Stage `json:"stages"`
	// Error says why the case's clocks could not be computed (a calendar that is not known,
	// say): its stages are then not judged, and the case is counted as not judged.
	Error string `json:"error,omitempty"`
}

// ManufacturerReport is a manufacturer's reporting timeliness.
type ManufacturerReport struct {
	Name        string       `json:"name"`
	SizeClass   string       `json:"sizeClass,omitempty"`
	Steward     bool         `json:"steward"`
	MemberState string       `json:"memberState,omitempty"`
	Summary     Summary      `json:"summary"`
	NotJudged   int          `json:"notJudged"`
	Cases       []CaseReport `json:"cases"`
	// Exemption says what Art. 64(10) spares the manufacturer, "" when nothing.
	Exemption string `json:"exemption,omitempty"`
}

// Report judges every case of every manufacturer at now.
func Report(in []ManufacturerInput, now time.Time) []ManufacturerReport {
	out := make([]ManufacturerReport, 0, len(in))
	for _, m := range in {
		r := ManufacturerReport{Name: m.Manufacturer.Name, SizeClass: m.Manufacturer.SizeClass, Steward: m.Manufacturer.Steward,
			MemberState: m.Manufacturer.Establishment.MemberState, Cases: []CaseReport{},
			Exemption: cra.Fines(m.Manufacturer.SizeClass, m.Manufacturer.Steward)}
		var judged [][]Stage
		for _, c := range m.Cases {
			cr := CaseReport{ID: c.ID, Title: c.Title, Type: c.Type, Product: c.Product, Vulnerability: c.Vulnerability}
			stages, clock, err := Timeliness(m.Manufacturer, c.Record, c.Submitted, now)
			if err != nil {
				cr.Error = err.Error()
				r.NotJudged++
			} else {
				cr.Stages, cr.Calendar = stages, clock.Calendar
				judged = append(judged, stages)
			}
			r.Cases = append(r.Cases, cr)
		}
		r.Summary = Summarize(m.Manufacturer.Name, judged)
		out = append(out, r)
	}
	return out
}
