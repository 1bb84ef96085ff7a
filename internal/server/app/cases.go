package app

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/match"
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

// Location is the time zone the case's deadlines are counted in.
func (v *CaseView) Location() *time.Location { return v.location }

// StageView is one reporting stage of a case: its deadline, its submission, its draft.
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

// ViewCase gathers a case's records into its clocks and report drafts.
func (s *Deps) ViewCase(ctx context.Context, c *store.Case) (*CaseView, error) {
	return BuildCase(ctx, s.Store, c, s.Now())
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

// Submit records a case's stage as submitted, with its report (the case's own when report is
// empty), the receipt and the CSIRT.
func (s *Deps) Submit(ctx context.Context, c *store.Case, stage string, report []byte, receipt, by, csirt string) error {
	if len(report) == 0 {
		v, err := s.ViewCase(ctx, c)
		if err != nil {
			return err
		}
		for _, st := range v.Stages {
			if st.Stage == stage {
				report, _ = json.Marshal(st.Draft)
			}
		}
	}
	return s.Store.SubmitStageTo(ctx, c.ID, stage, report, receipt, by, csirt)
}
