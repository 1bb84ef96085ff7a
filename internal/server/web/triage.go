package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// triageView is what the finding page shows beyond the finding itself.
type triageView struct {
	// Form holds the triage form's values: the decision in force, or what was just entered
	// when it was refused (so nothing typed is lost).
	Form app.VEXInput
	// Origin is the release an inherited decision was made for.
	Origin *store.Release
	// Advisories are the details of the finding's advisory records; NoDetails says why there
	// are none.
	Advisories []vulndb.Details
	NoDetails  string
	Comments   []store.Comment
	Now        time.Time
}

// findingPageView is a finding's page (finding.html).
type findingPageView struct {
	releaseHead
	Finding *app.FindingView
	// History is the finding's triage decisions, oldest first; Explain says why it matched.
	History []store.VEX
	Explain string
	// VEXStatus and VEXJust are the triage form's choices.
	VEXStatus []string
	VEXJust   []string
	Triage    *triageView
}

// renderFinding shows one finding: the advisory's details, why it matched, its triage (own or
// inherited) and history, the comments, and the triage form with form's values (nil: those of
// the decision in force).
func (s *Site) renderFinding(w http.ResponseWriter, r *http.Request, h *releaseHead, vuln, purl string, form *app.VEXInput, status int) {
	ctx := r.Context()
	d := &findingPageView{releaseHead: *h}
	x, err := s.Store.FindingByKey(ctx, d.Release.ID, vuln, purl)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	vex, err := s.Store.EffectiveVEX(ctx, d.Release.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	f, err := app.ViewFinding(*x, vex)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	d.Finding, d.Title = &f, f.ID
	d.VEXStatus, d.VEXJust = store.VEXStatuses, store.VEXJustifications
	tv := &triageView{Now: s.Now().UTC()}
	d.Triage = tv
	switch {
	case form != nil:
		tv.Form = *form
	case f.VEX != nil:
		tv.Form = app.VEXInput{PURL: purl, Status: f.VEX.Status, Justification: f.VEX.Justification, Impact: f.VEX.Impact, Action: f.VEX.Action}
	default:
		tv.Form = app.VEXInput{PURL: purl, Status: "under_investigation"}
	}
	if f.VEX != nil && f.VEX.InheritedFrom != 0 {
		if tv.Origin, err = s.Store.Release(ctx, f.VEX.InheritedFrom); err != nil {
			s.Fail(w, r, err)
			return
		}
	}
	if d.History, err = s.Store.VEXHistory(ctx, d.Release.ID, vuln, purl); err != nil {
		s.Fail(w, r, err)
		return
	}
	if tv.Comments, err = s.Store.Comments(ctx, d.Release.ID, vuln, purl); err != nil {
		s.Fail(w, r, err)
		return
	}
	db, err := vulndb.Open(ctx, s.VulnDB, false)
	if err != nil {
		tv.NoDetails = "The vulnerability database is not available on this server, so the advisory's details cannot be shown."
	} else {
		defer db.Close()
		var buf bytes.Buffer
		if err := match.Explain(ctx, &buf, db, &f.Finding); err != nil {
			s.Fail(w, r, err)
			return
		}
		d.Explain = buf.String()
		if tv.Advisories, err = db.AdvisoryDetails(ctx, f.Records); err != nil {
			s.Fail(w, r, err)
			return
		}
		if len(tv.Advisories) == 0 {
			tv.NoDetails = "None of the finding's records (" + joinIDs(f.Records) + ") is in the vulnerability database any more."
		}
	}
	s.render(w, status, "finding", d)
}

func joinIDs(ids []string) string {
	var b bytes.Buffer
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(id)
	}
	return b.String()
}

// findingURL is the address of a finding's page.
func findingURL(release int64, vuln, purl string) string {
	return "/releases/" + strconv.FormatInt(release, 10) + "/findings/" + url.PathEscape(vuln) + "?purl=" + url.QueryEscape(purl)
}

// commentForm adds a comment to a finding; an empty one is refused on the page, the text kept.
func (s *Site) commentForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok || !d.writable(w) {
		return
	}
	vuln, purl := r.PathValue("finding"), r.PostFormValue("purl")
	if _, err := s.Store.FindingByKey(r.Context(), d.Release.ID, vuln, purl); err != nil {
		http.NotFound(w, r)
		return
	}
	if _, err := s.Store.AddComment(r.Context(), store.Comment{Release: d.Release.ID, Vulnerability: vuln, PURL: purl, Author: u.Email, Body: r.PostFormValue("body")}); err != nil {
		d.Error = "Comment not saved: " + err.Error()
		s.renderFinding(w, r, d, vuln, purl, nil, http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, findingURL(d.Release.ID, vuln, purl)+"#comments", http.StatusSeeOther)
}

// findingPager is the sort order and page of the release page's findings, with the links.
type findingPager struct {
	Sort    string
	Reverse bool
	From    int
	To      int
	Total   int
	Prev    string
	Next    string
	// Sorts links each column's order: choosing the order shown turns it round.
	Sorts map[string]string
}

// findingPagerOf builds the links of the release page's findings table, keeping the filter.
func findingPagerOf(r *http.Request, rel int64, f store.FindingFilter, shown, total int) *findingPager {
	base := "/releases/" + strconv.FormatInt(rel, 10) + "?"
	link := func(sort string, reverse bool, offset int) string {
		q := url.Values{}
		for _, k := range []string{"q", "severity", "exploited", "resolved", "limit"} {
			if v := r.URL.Query().Get(k); v != "" {
				q.Set(k, v)
			}
		}
		if sort != "" && sort != store.SortFindingRisk {
			q.Set("sort", sort)
		}
		if reverse {
			q.Set("reverse", "true")
		}
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
		return base + q.Encode() + "#findings"
	}
	p := &findingPager{Sort: f.Sort, Reverse: f.Reverse, From: f.Offset + 1, To: f.Offset + shown, Total: total, Sorts: map[string]string{}}
	if p.Sort == "" {
		p.Sort = store.SortFindingRisk
	}
	if shown == 0 {
		p.From = f.Offset
	}
	for _, s := range store.FindingSorts {
		p.Sorts[s] = link(s, s == p.Sort && !f.Reverse, 0)
	}
	if f.Offset > 0 {
		p.Prev = link(f.Sort, f.Reverse, max(f.Offset-f.Limit, 0))
	}
	if f.Offset+shown < total {
		p.Next = link(f.Sort, f.Reverse, f.Offset+shown)
	}
	return p
}

// searchView is the portfolio search page (search.html): the query, one page of hits of each
// kind with their totals, and links to the pages before and after.
type searchView struct {
	Layout
	Query                string
	Components, Findings []store.SearchHit
	NComponents, NFinds  int
	Prev, Next           string
}

// searchPage searches the portfolio by component (name, purl) and vulnerability id or alias.
func (s *Site) searchPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	d := &searchView{Layout: Layout{Title: "Search", User: u}}
	q, limit, offset, err := app.SearchQuery(r)
	d.Query = q
	if err == nil && q != "" {
		org := u.Token().Organization
		if u.Token().Role == "authority" {
			org = 0
		}
		d.Components, d.Findings, d.NComponents, d.NFinds, err = s.Store.SearchPortfolio(r.Context(), org, q, limit, offset)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		{
			page := func(off int) string {
				return "/search?" + url.Values{"q": {q}, "offset": {strconv.Itoa(off)}, "limit": {strconv.Itoa(limit)}}.Encode()
			}
			if offset > 0 {
				d.Prev = page(max(offset-limit, 0))
			}
			if offset+limit < max(d.NComponents, d.NFinds) {
				d.Next = page(offset + limit)
			}
		}
	}
	if err != nil {
		d.Error = err.Error()
		s.render(w, http.StatusBadRequest, "search", d)
		return
	}
	s.render(w, http.StatusOK, "search", d)
}
