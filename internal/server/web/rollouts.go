package web

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/rollout/delivery"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// rolloutsView is the list of rollouts (rollouts.html).
type rolloutsView struct {
	Layout
	List []app.RolloutJSON
}

// rolloutView is one rollout's page (rollout.html): its status, the sequential test's path
// against its two boundaries, and whether the user may pause, resume or abort it.
type rolloutView struct {
	Layout
	Status   *delivery.Status
	SVG      template.HTML
	LastLLR  float64
	Running  bool
	CanWrite bool
	Notice   string
}

// rolloutViewOf is the page of the rollout with status st.
func rolloutViewOf(u *store.User, st *delivery.Status) *rolloutView {
	v := &rolloutView{Layout: Layout{Title: fmt.Sprintf("Rollout %d", st.ID), User: u}, Status: st, SVG: sprtSVG(st),
		Running: st.Status == "running" || st.Status == "paused", CanWrite: caller.OfUser(u).CanWrite(u.Organization)}
	if len(st.Path) > 0 {
		v.LastLLR = st.Path[len(st.Path)-1].LLR
	}
	return v
}

func (s *Site) rolloutWebRoutes() {
	s.mux.HandleFunc("GET /rollouts", s.web(s.rolloutsPage, true))
	s.mux.HandleFunc("GET /rollouts/{id}", s.web(s.rolloutPage, true))
	s.mux.HandleFunc("POST /rollouts/{id}/{action}", s.web(s.rolloutControlForm, true))
}

func (s *Site) rolloutsPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	rs, err := s.Store.Rollouts(r.Context(), u.Organization, 0)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	v := &rolloutsView{Layout: Layout{Title: "Rollouts", User: u}}
	for i := range rs {
		v.List = append(v.List, app.RolloutSummary(&rs[i]))
	}
	s.render(w, http.StatusOK, "rollouts", v)
}

func (s *Site) rolloutPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	st, err := s.Delivery().Status(r.Context(), u.Organization, id)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	v := rolloutViewOf(u, st)
	v.Notice = r.URL.Query().Get("notice")
	if v.Running {
		v.Refresh = 10
	}
	s.render(w, http.StatusOK, "rollout", v)
}

func (s *Site) rolloutControlForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	action := r.PathValue("action")
	if err != nil || (action != "pause" && action != "resume" && action != "abort") {
		http.NotFound(w, r)
		return
	}
	if !caller.OfUser(u).CanWrite(u.Organization) {
		http.Error(w, "your role may not control rollouts", http.StatusForbidden)
		return
	}
	err = s.Delivery().Control(r.Context(), u.Organization, id, action, strings.TrimSpace(r.PostFormValue("reason")), "user:"+u.Email)
	if errors.Is(err, delivery.ErrInput) {
		st, serr := s.Delivery().Status(r.Context(), u.Organization, id)
		if serr != nil {
			s.Fail(w, r, serr)
			return
		}
		v := rolloutViewOf(u, st)
		v.Error = err.Error()
		s.render(w, http.StatusBadRequest, "rollout", v)
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/rollouts/%d?notice=%s", id, action+"d"), http.StatusSeeOther)
}

// sprtSVG draws the sequential test's log-likelihood ratio after each outcome, in release
// order, between its accept (lower) and reject (upper) boundaries.
func sprtSVG(st *delivery.Status) template.HTML {
	const w, h, pad = 640.0, 240.0, 36.0
	lo, hi := st.Lower, st.Upper
	for _, p := range st.Path {
		lo, hi = math.Min(lo, p.LLR), math.Max(hi, p.LLR)
	}
	span := hi - lo
	lo, hi = lo-0.1*span, hi+0.1*span
	n := max(len(st.Path), 10)
	x := func(i int) float64 { return pad + (w-2*pad)*float64(i)/float64(n) }
	y := func(v float64) float64 { return pad + (h-2*pad)*(hi-v)/(hi-lo) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="sequential test: log-likelihood ratio after each outcome against the accept and reject boundaries">`, w, h, w, h)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%.0f" height="%.0f" fill="#fff" stroke="#ccc"/>`, w, h)
	line := func(v float64, color, label string) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="6 4"/>`, pad, y(v), w-pad, y(v), color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="%s">%s %.2f</text>`, pad+4, y(v)-4, color, label, v)
	}
	line(st.Upper, "#b00020", "reject (halt)")
	line(st.Lower, "#1b7f3b", "accept")
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999"/>`, pad, y(0), w-pad, y(0))
	pts := []string{fmt.Sprintf("%.1f,%.1f", x(0), y(0))}
	for i, p := range st.Path {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i+1), y(p.LLR)))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#1a4d8f" stroke-width="2"/>`, strings.Join(pts, " "))
	for i, p := range st.Path {
		color := "#1b7f3b"
		if !p.Success {
			color = "#b00020"
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>outcome %d: %s, LLR %.3f</title></circle>`, x(i+1), y(p.LLR), color, p.N, map[bool]string{true: "success", false: "failure"}[p.Success], p.LLR)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="#555">outcomes in release order: %d</text>`, pad, h-10, len(st.Path))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built here from numbers and fixed words only
}
