package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/server/web"
	"github.com/siegel-oss/siegel/internal/store"
)

// CaseView is a reporting case with its clocks and drafts, for the API and the pages.
type CaseView struct {
	ID            int64     `json:"id"`
	Type          string    `json:"type"`
	Title         string    `json:"title"`
	Product       string    `json:"product,omitempty"`
	ProductID     int64     `json:"productId,omitempty"`
	Vulnerability string    `json:"vulnerability,omitempty"`
	Evidence      string    `json:"evidence"`
	AwareAt       time.Time `json:"awareAt"`
	FixAvailable  time.Time `json:"fixAvailable,omitzero"`
	Closed        time.Time `json:"closed,omitzero"`
	ClosedReason  string    `json:"closedReason,omitempty"`
	FineExemption bool      `json:"fineExemptionEarlyWarning"` // Art. 64(10)(a)
	// Steward: an open-source software steward is not fined at all (Art. 64(10)(b)); Fines says
	// what Art. 64(10) spares the organisation, "" when nothing.
	Steward bool   `json:"openSourceSteward"`
	Fines   string `json:"fines,omitempty"`
	// Calendar says whose calendar the deadlines are counted in (the Member State of main
	// establishment), or that they are counted in UTC without public holidays.
	Calendar string `json:"calendar"`
	// BeforeApplication is set when awareness precedes the application of Art. 14 (11 September
	// 2026, Art. 71(2)): the case has no deadlines.
	BeforeApplication string      `json:"beforeApplication,omitempty"`
	IntermediateAsked time.Time   `json:"intermediateRequested,omitzero"` // Art. 14(6)
	Stages            []StageView `json:"stages"`
	location          *time.Location
}

// Zone names the time zone the case's deadlines are shown in, for the forms.
func (v *CaseView) Zone() string { return v.location.String() }

type StageView struct {
	Stage        string    `json:"stage"`
	Basis        string    `json:"basis"`
	Deadline     time.Time `json:"deadline,omitzero"`
	Conservative time.Time `json:"conservativeDeadline,omitzero"`
	Pending      string    `json:"pending,omitempty"`
	Overdue      bool      `json:"overdue"`
	Submitted    time.Time `json:"submitted,omitzero"`
	Receipt      string    `json:"receipt,omitempty"`
	SubmittedBy  string    `json:"submittedBy,omitempty"`
	// Recipient is the CSIRT the stage was submitted to (Art. 14(7)); Late that it was submitted
	// after its deadline.
	Recipient string     `json:"recipient,omitempty"`
	Late      bool       `json:"late,omitempty"`
	Draft     cra.Report `json:"draft"`
	Left      string     `json:"-"` // time left, for the page
	// Provision is Basis without the calendar, which the page names once for the case; Due and
	// Earliest are Deadline and Conservative as the calendar writes them (24:00 for the end of a
	// day, Reg. 1182/71 Art. 3(2)), the same text the alerts and the label's reason give.
	Provision string `json:"-"`
	Due       string `json:"-"`
	Earliest  string `json:"-"`
}

// caseView gathers a case's records into its clocks and report drafts.
func (s *Server) caseView(ctx context.Context, c *store.Case) (*CaseView, error) {
	return BuildCase(ctx, s.cfg.Store, c, s.cfg.Now())
}

// BuildCase gathers a case's records into its clocks and report drafts, as of now.
func BuildCase(ctx context.Context, st *store.DB, c *store.Case, now time.Time) (*CaseView, error) {
	v := &CaseView{ID: c.ID, Type: c.Type, Title: c.Title, Product: c.ProductName, ProductID: c.Product, Vulnerability: c.Vulnerability,
		Evidence: c.Evidence, AwareAt: c.AwareAt, FixAvailable: c.FixAvailable, Closed: c.Closed, ClosedReason: c.ClosedReason,
		FineExemption: cra.FineExemption(c.OrgSize), Steward: c.Steward, Fines: cra.Fines(c.OrgSize, c.Steward), IntermediateAsked: c.IntermediateRequested}
	clock, err := c.Clock()
	if err != nil {
		return nil, err
	}
	v.Calendar, v.location = clock.Calendar, clock.Location
	if clock.BeforeApplication {
		v.BeforeApplication = cra.BeforeApplication
	}
	ds := clock.Deadlines
	org, err := st.OrganizationByID(ctx, c.Organization)
	if err != nil {
		return nil, err
	}
	subj := cra.Subject{Case: c.ID, Type: c.Type, Manufacturer: org.Name, Product: c.ProductName, Vulnerability: c.Vulnerability,
		Summary: c.Title, Evidence: c.Evidence, AwareAt: c.AwareAt, FixAvailable: c.FixAvailable}
	fs, err := st.CaseReleases(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, x := range fs {
		var f match.Finding
		if err := json.Unmarshal(x.Data, &f); err != nil {
			return nil, err
		}
		rel, err := st.Release(ctx, x.Release)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(subj.Releases, rel.Version) {
			subj.Releases = append(subj.Releases, rel.Version)
		}
		if !slices.Contains(subj.Packages, x.PURL) {
			subj.Packages = append(subj.Packages, x.PURL)
		}
		subj.Aliases, subj.Severity, subj.Score = f.Aliases, f.Severity, max(subj.Score, f.Score)
		for _, fx := range f.Fixed {
			if !slices.Contains(subj.FixedVersions, fx) {
				subj.FixedVersions = append(subj.FixedVersions, fx)
			}
		}
		vex, err := st.EffectiveVEX(ctx, x.Release)
		if err != nil {
			return nil, err
		}
		if st, ok := vex[store.VEXKey{Vulnerability: x.Vulnerability, PURL: x.PURL}]; ok && st.Action != "" && !slices.Contains(subj.UserActions, st.Action) {
			subj.UserActions = append(subj.UserActions, st.Action)
		}
	}
	for _, d := range ds {
		sv := StageView{Stage: d.Stage, Basis: d.Basis, Deadline: d.Legal.In(v.location), Conservative: d.Conservative.In(v.location), Pending: d.Pending,
			Draft: cra.Draft(d.Stage, subj, d), Provision: d.Provision}
		if d.Pending == "" {
			sv.Due, sv.Earliest = clock.FormatEnd(d.Legal), clock.FormatEnd(d.Conservative)
		}
		if sub, ok := c.Stages[d.Stage]; ok {
			sv.Submitted, sv.Receipt, sv.SubmittedBy = sub.SubmittedAt.In(v.location), sub.Receipt, sub.SubmittedBy
			sv.Recipient = cmp.Or(sub.Recipient, cra.NoRecipient)
			sv.Late = d.Pending == "" && !cra.OnTime(sub.SubmittedAt, d.Legal)
		} else if d.Pending == "" && c.Closed.IsZero() {
			sv.Overdue = !cra.OnTime(now, d.Legal)
			sv.Left = left(d.Legal.Sub(now))
		} else if d.Pending == "" {
			sv.Overdue = !cra.OnTime(c.Closed, d.Legal) // missed before the case was closed
		}
		v.Stages = append(v.Stages, sv)
	}
	return v, nil
}

// left renders a remaining time, or how long ago it ran out.
func left(d time.Duration) string {
	suffix := " left"
	if d < 0 {
		d, suffix = -d, " overdue"
	}
	d = d.Round(time.Minute)
	if d >= 48*time.Hour {
		return strconv.Itoa(int(d.Hours()/24)) + " days" + suffix
	}
	return d.String() + suffix
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	cs, err := s.cfg.Store.Cases(r.Context(), p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]*CaseView, 0, len(cs))
	for i := range cs {
		v, err := s.caseView(r.Context(), &cs[i])
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// apiCase loads a case the caller may read.
func (s *Server) apiCase(w http.ResponseWriter, r *http.Request, p caller.Principal) (*store.Case, bool) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return nil, false
	}
	c, err := s.cfg.Store.CaseByID(r.Context(), id)
	if err != nil || !p.CanRead(c.Organization) {
		writeError(w, http.StatusNotFound, "not found")
		return nil, false
	}
	return c, true
}

// writableCase loads a case the caller may change (403 when it may only read it).
func (s *Server) writableCase(w http.ResponseWriter, r *http.Request, p caller.Principal) (*store.Case, bool) {
	c, ok := s.apiCase(w, r, p)
	if ok && !p.CanWrite(c.Organization) {
		writeError(w, http.StatusForbidden, "this token may not change cases")
		return nil, false
	}
	return c, ok
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if c, ok := s.apiCase(w, r, p); ok {
		s.writeCase(w, r, c, http.StatusOK)
	}
}

// writeCase answers with a case's clocks and drafts.
func (s *Server) writeCase(w http.ResponseWriter, r *http.Request, c *store.Case, status int) {
	v, err := s.caseView(r.Context(), c)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

func (s *Server) createCase(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !p.CanWrite(p.Token.Organization) {
		writeError(w, http.StatusForbidden, "this token may not open cases")
		return
	}
	var in struct {
		Type          string    `json:"type"`
		Title         string    `json:"title"`
		Product       int64     `json:"product"`
		Release       int64     `json:"release"`
		Vulnerability string    `json:"vulnerability"`
		Evidence      string    `json:"evidence"`
		AwareAt       time.Time `json:"awareAt"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.Type == cra.Exploited {
		// The manufacturer's own evidence of exploitation (KEV and EUVD open cases by themselves).
		rel, err := s.cfg.Store.Release(r.Context(), in.Release)
		var prod *store.Product
		if err == nil {
			prod, err = s.cfg.Store.Product(r.Context(), rel.Product)
		}
		if err != nil || prod.Organization != p.Token.Organization {
			writeError(w, http.StatusBadRequest, "no such release")
			return
		}
		c, err := s.cfg.Store.OpenExploitedCase(r.Context(), rel.ID, in.Vulnerability, in.Title, in.Evidence, in.AwareAt)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.writeCase(w, r, c, http.StatusCreated)
		return
	}
	if in.Type != cra.Incident {
		writeError(w, http.StatusBadRequest, "type must be incident, or exploited (with release, vulnerability and evidence)")
		return
	}
	if in.Product != 0 {
		prod, err := s.cfg.Store.Product(r.Context(), in.Product)
		if err != nil || prod.Organization != p.Token.Organization {
			writeError(w, http.StatusBadRequest, "no such product")
			return
		}
	}
	c, err := s.cfg.Store.OpenIncident(r.Context(), p.Token.Organization, in.Product, in.Title, in.AwareAt)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	c, err = s.cfg.Store.CaseByID(r.Context(), c.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.writeCase(w, r, c, http.StatusCreated)
}

func (s *Server) caseFixAvailable(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	c, ok := s.writableCase(w, r, p)
	if !ok {
		return
	}
	var in struct {
		At time.Time `json:"at"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.At.IsZero() {
		writeError(w, http.StatusBadRequest, "at is required (RFC 3339)")
		return
	}
	if !s.apiDone(w, r, s.cfg.Store.SetFixAvailable(r.Context(), c.ID, in.At)) {
		return
	}
	s.getCase(w, r, p)
}

// submitStage records a stage as submitted: the report as sent (the draft when none is given)
// and the receipt of the authority's platform.
func (s *Server) submitStage(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	c, ok := s.writableCase(w, r, p)
	if !ok {
		return
	}
	var in struct {
		Receipt string          `json:"receipt"`
		Report  json.RawMessage `json:"report"`
		CSIRT   string          `json:"csirt"` // the recipient (Art. 14(7)); default: the Member State's coordinator
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := s.submit(r.Context(), c, r.PathValue("stage"), in.Report, in.Receipt, "token:"+p.Token.Name, in.CSIRT); err != nil {
		if errors.Is(err, store.ErrConflict) {
			writeError(w, http.StatusConflict, err.Error())
			return
		}
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.getCase(w, r, p)
}

func (s *Server) submit(ctx context.Context, c *store.Case, stage string, report []byte, receipt, by, csirt string) error {
	if len(report) == 0 {
		v, err := s.caseView(ctx, c)
		if err != nil {
			return err
		}
		for _, st := range v.Stages {
			if st.Stage == stage {
				report, _ = json.Marshal(st.Draft)
			}
		}
	}
	return s.cfg.Store.SubmitStageTo(ctx, c.ID, stage, report, receipt, by, csirt)
}

// casesPage lists the organization's reporting cases, open ones first.
func (s *Server) casesPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	cs, err := s.cfg.Store.Cases(r.Context(), u.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	d := &casesView{Layout: web.Layout{Title: "Reporting cases", User: u}}
	for i := range cs {
		v, err := s.caseView(r.Context(), &cs[i])
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		d.Cases = append(d.Cases, v)
	}
	slices.SortStableFunc(d.Cases, func(a, b *CaseView) int {
		return compareBool(a.Closed.IsZero(), b.Closed.IsZero())
	})
	s.render(w, http.StatusOK, "cases", d)
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// webCase loads a case the user may read.
func (s *Server) webCase(w http.ResponseWriter, r *http.Request, u *store.User) (*store.Case, bool) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	c, err := s.cfg.Store.CaseByID(r.Context(), id)
	if err != nil || !caller.OfUser(u).CanRead(c.Organization) {
		http.NotFound(w, r)
		return nil, false
	}
	return c, true
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, u *store.User) {
	c, ok := s.webCase(w, r, u)
	if !ok {
		return
	}
	v, err := s.caseView(r.Context(), c)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "case", &casePageView{Layout: web.Layout{Title: "Case " + strconv.FormatInt(c.ID, 10), User: u, Error: r.URL.Query().Get("error")},
		Case: v, CanWrite: caller.OfUser(u).CanWrite(c.Organization)})
}

// casesView is the list of the organization's reporting cases (cases.html), open ones first.
type casesView struct {
	web.Layout
	Cases []*CaseView
}

// casePageView is one reporting case (case.html): its stages and drafts, and the forms that
// record its events for those who may.
type casePageView struct {
	web.Layout
	Case     *CaseView
	CanWrite bool
}

func (s *Server) caseFixForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.webCaseAction(w, r, u, func(c *store.Case) error {
		v, err := s.caseView(r.Context(), c)
		if err != nil {
			return err
		}
		at, err := time.ParseInLocation("2006-01-02T15:04", r.PostFormValue("at"), v.location)
		if err != nil {
			return fmt.Errorf("%w: give the date and time the measure became available", store.ErrInvalid)
		}
		return s.cfg.Store.SetFixAvailable(r.Context(), c.ID, at)
	})
}

func (s *Server) caseSubmitForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.webCaseAction(w, r, u, func(c *store.Case) error {
		var report []byte
		if text := strings.TrimSpace(r.PostFormValue("report")); text != "" {
			if !json.Valid([]byte(text)) {
				return fmt.Errorf("%w: the report is not valid JSON", store.ErrInvalid)
			}
			report = []byte(text)
		}
		return s.submit(r.Context(), c, r.PathValue("stage"), report, strings.TrimSpace(r.PostFormValue("receipt")), u.Email, r.PostFormValue("csirt"))
	})
}
