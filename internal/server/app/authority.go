package app

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/store"
)

// ProcedureJSON is a procedure with its state and clocks as they stand now.
type ProcedureJSON struct {
	ID           int64             `json:"id"`
	Kind         string            `json:"kind"`
	Product      int64             `json:"product"`
	ProductName  string            `json:"productName"`
	Manufacturer int64             `json:"manufacturer"`
	Title        string            `json:"title"`
	State        string            `json:"state"`
	Next         string            `json:"next"`
	Calendar     string            `json:"calendar"`
	Clocks       []authority.Clock `json:"clocks"`
	Events       []authority.Event `json:"events"`
}

// ProcedureView is a market surveillance procedure as answered, with its status now in the calendar
// of the authority's member state.
func (s *Deps) ProcedureView(r *http.Request, p *store.Procedure) (ProcedureJSON, error) {
	org, err := s.Store.OrganizationByID(r.Context(), p.Authority)
	if err != nil {
		return ProcedureJSON{}, err
	}
	cal, err := cra.Establishment{MemberState: org.MemberState, Region: org.HolidayRegion}.Calendar()
	if err != nil {
		return ProcedureJSON{}, err
	}
	st, err := p.Domain().StatusAt(cal, s.Now())
	if err != nil {
		return ProcedureJSON{}, err
	}
	clocks := st.Clocks
	if clocks == nil {
		clocks = []authority.Clock{}
	}
	return ProcedureJSON{ID: p.ID, Kind: p.Kind, Product: p.Product, ProductName: p.ProductName, Manufacturer: p.Organization, Title: p.Title,
		State: st.State, Next: st.Next, Calendar: cal.Describe(), Clocks: clocks, Events: p.Events}, nil
}
