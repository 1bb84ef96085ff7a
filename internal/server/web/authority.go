package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// authorityDashboard is the market surveillance authority's page: the reporting stages of the
// registered products that were missed or are overdue, the open procedures with their clocks,
// the Art. 60 ranking, the labels of the registered products, and a fine estimate on a case.
type authorityDashboard struct {
	Layout
	AsOf       time.Time
	Products   int
	Late       []lateStage
	Procedures []app.ProcedureJSON
	Sweep      []authority.SweepRank
	Labels     []dashboardLabel
	// Cases are the registered products' reporting cases a fine can be estimated on.
	Cases []dashboardCase
	// Fine is the estimate asked for (?case=ID&turnover=EUR), nil when none was.
	Fine      *authority.Estimate
	FineCase  *dashboardCase
	FineError string
	Turnover  string
}

type lateStage struct {
	Manufacturer, SizeClass, Product string
	Case                             int64
	Title                            string
	authority.Stage
}

type dashboardLabel struct {
	Product, Version string
	app.ViewLabelJSON
	// Remote: the label is kept on its manufacturer's server, which its issuer decides on.
	Remote bool
}

type dashboardCase struct {
	ID              int64
	Product, Title  string
	Manufacturer    app.ViewManufacturerJSON
	Provisions      []authority.Provision
	MissedOrOverdue int
}

func (s *Site) authorityWebRoutes() {
	s.mux.HandleFunc("GET /authority", s.web(s.authorityPage, true))
	s.labelDecisionWebRoutes()
}

func (s *Site) authorityPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	tok := u.Token()
	if tok.Role != "authority" {
		s.render(w, http.StatusForbidden, "authority", &authorityDashboard{Layout: Layout{Title: "Market surveillance", User: u, Error: "This page is for market surveillance authorities."}})
		return
	}
	ctx := r.Context()
	d := &authorityDashboard{Layout: Layout{Title: "Market surveillance", User: u}, AsOf: s.Now().UTC(), Turnover: r.URL.Query().Get("turnover")}
	views, err := s.AuthorityViews(ctx, tok.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	d.Products = len(views)
	for _, v := range views {
		for _, rel := range v.Releases {
			for _, l := range rel.Labels {
				d.Labels = append(d.Labels, dashboardLabel{Product: v.Name, Version: rel.Version, ViewLabelJSON: l, Remote: v.Source != nil})
			}
		}
		for _, c := range v.Cases {
			dc := dashboardCase{ID: c.ID, Product: v.Name, Title: c.Title, Manufacturer: v.Manufacturer}
			for _, st := range c.Stages {
				if st.Outcome != authority.Missed && st.Outcome != authority.Overdue {
					continue
				}
				d.Late = append(d.Late, lateStage{Manufacturer: v.Manufacturer.Name, SizeClass: v.Manufacturer.SizeClass, Product: v.Name, Case: c.ID, Title: c.Title, Stage: st})
				dc.MissedOrOverdue++
				if st.Article != "" {
					dc.Provisions = append(dc.Provisions, authority.Provision(st.Article))
				}
			}
			d.Cases = append(d.Cases, dc)
		}
	}
	slices.SortFunc(d.Late, func(a, b lateStage) int {
		return strings.Compare(a.Manufacturer+a.Deadline.String(), b.Manufacturer+b.Deadline.String())
	})
	prs, err := s.Store.Procedures(ctx, tok.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	for i := range prs {
		v, err := s.ProcedureView(r, &prs[i])
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		if v.State != authority.Closed {
			d.Procedures = append(d.Procedures, v)
		}
	}
	if in, err := s.SweepInputs(ctx, tok.Organization); err != nil {
		s.Fail(w, r, err)
		return
	} else if len(in) > 0 {
		if d.Sweep, err = authority.RankSweep(in); err != nil {
			d.FineError = err.Error()
		}
	}
	if id := r.URL.Query().Get("case"); id != "" {
		s.dashboardFine(d, id)
	}
	status := http.StatusOK
	if d.FineError != "" {
		status = http.StatusBadRequest
	}
	s.render(w, status, "authority", d)
}

// dashboardFine estimates the Art. 64 ceiling for the missed or overdue stages of a case of a
// registered product: a maximum with its reasons, never a fine.
func (s *Site) dashboardFine(d *authorityDashboard, id string) {
	n, err := strconv.ParseInt(id, 10, 64)
	i := slices.IndexFunc(d.Cases, func(c dashboardCase) bool { return c.ID == n })
	if err != nil || i < 0 {
		d.FineError = "case " + id + ": no reporting case of a product registered with this authority"
		return
	}
	c := d.Cases[i]
	d.FineCase = &c
	if len(c.Provisions) == 0 {
		d.FineError = "case " + id + ": no stage was missed and none is overdue: nothing to estimate a fine for"
		return
	}
	o := authority.Offender{Name: c.Manufacturer.Name, Undertaking: true, Manufacturer: true, SizeClass: c.Manufacturer.SizeClass, Steward: c.Manufacturer.Steward}
	if t := strings.TrimSpace(d.Turnover); t != "" {
		v, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 10, 64)
		if err != nil || v < 0 || v > 1<<53 {
			d.FineError = "turnover: a whole number of euros, not negative"
			return
		}
		e := authority.EUR(v)
		o.Turnover = &e
	}
	est, err := authority.EstimateFine(o, c.Provisions, authority.Factors{})
	if err != nil {
		d.FineError = err.Error()
		return
	}
	d.Fine = &est
}
