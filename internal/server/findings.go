package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/store"
)

// findingView is a stored finding with its triage, as the API and the pages show it.
type findingView struct {
	match.Finding
	FirstSeen time.Time `json:"firstSeen"`
	Resolved  bool      `json:"resolved,omitempty"`
	VEX       *vexJSON  `json:"vex,omitempty"`
}

type vexJSON struct {
	Status        string    `json:"status"`
	Justification string    `json:"justification,omitempty"`
	Impact        string    `json:"impact,omitempty"`
	Action        string    `json:"action,omitempty"`
	Author        string    `json:"author"`
	Time          time.Time `json:"time"`
	// ExpiresAt ends a suppression: after it the finding is open again.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// InheritedFrom is set on a decision carried over from an earlier release of the product
	// with the same package version: the release (id) it was made for.
	InheritedFrom int64 `json:"inheritedFrom,omitempty"`
}

func toVEX(v store.VEX) *vexJSON {
	out := &vexJSON{Status: v.Status, Justification: v.Justification, Impact: v.Impact, Action: v.Action, Author: v.Author, Time: v.CreatedAt, ExpiresAt: v.ExpiresAt}
	if v.Inherited {
		out.InheritedFrom = v.Release
	}
	return out
}

// Open reports whether the finding still needs work: not triaged as not affected or fixed.
func (f findingView) Open() bool {
	return f.VEX == nil || (f.VEX.Status != "not_affected" && f.VEX.Status != "fixed")
}

func viewOf(x store.Finding, vex map[store.VEXKey]store.VEX) (findingView, error) {
	v := findingView{FirstSeen: x.FirstSeen, Resolved: x.Resolved}
	if err := json.Unmarshal(x.Data, &v.Finding); err != nil {
		return v, err
	}
	if st, ok := vex[store.VEXKey{Vulnerability: x.Vulnerability, PURL: x.PURL}]; ok {
		v.VEX = toVEX(st)
	}
	return v, nil
}

// loadFindings reads a release's findings with their VEX status.
func (s *Server) loadFindings(ctx context.Context, release int64, f store.FindingFilter) ([]findingView, int, error) {
	xs, total, err := s.cfg.Store.Findings(ctx, release, f)
	if err != nil {
		return nil, 0, err
	}
	vex, err := s.cfg.Store.EffectiveVEX(ctx, release)
	if err != nil {
		return nil, 0, err
	}
	out := make([]findingView, 0, len(xs))
	for _, x := range xs {
		v, err := viewOf(x, vex)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, nil
}

// findingFilter reads the filter query parameters shared by the API and the release page:
// severity (minimum), exploited, q, resolved, sort, reverse, limit, offset.
func findingFilter(r *http.Request, defLimit int) (store.FindingFilter, error) {
	q := r.URL.Query()
	f := store.FindingFilter{MinSeverity: strings.ToUpper(q.Get("severity")), Search: q.Get("q"), Limit: defLimit}
	switch f.MinSeverity {
	case "", "CRITICAL", "HIGH", "MEDIUM", "LOW":
	default:
		return f, errors.New("severity must be critical, high, medium or low")
	}
	f.ExploitedOnly = q.Get("exploited") == "true"
	f.Sort, f.Reverse = q.Get("sort"), q.Get("reverse") == "true"
	if err := store.CheckFindingSort(f.Sort); err != nil {
		return f, err
	}
	f.Resolved = q.Get("resolved") == "true"
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"limit", &f.Limit, 1000}, {"offset", &f.Offset, 1 << 30}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > p.max {
				return f, errors.New(p.name + " must be a number from 0 to " + strconv.Itoa(p.max))
			}
			*p.dst = n
		}
	}
	if f.Limit == 0 {
		f.Limit = defLimit
	}
	return f, nil
}

// vexInput is a triage decision as the API and the form take it.
type vexInput struct {
	PURL          string `json:"purl"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
	Impact        string `json:"impact"`
	Action        string `json:"action"`
	// ExpiresAt makes the decision a suppression that ends then (YYYY-MM-DD: at the end of that
	// day, UTC; or an RFC 3339 time).
	ExpiresAt string `json:"expiresAt"`
}

// setVEX records a triage decision about a finding of the release.
func (s *Server) setVEX(ctx context.Context, release int64, vuln string, in vexInput, author string) (*store.VEX, error) {
	if _, err := s.cfg.Store.FindingByKey(ctx, release, vuln, in.PURL); err != nil {
		return nil, err
	}
	exp, err := parseExpiry(in.ExpiresAt)
	if err != nil {
		return nil, err
	}
	return s.cfg.Store.SetVEX(ctx, store.VEX{Release: release, Vulnerability: vuln, PURL: in.PURL, Status: in.Status,
		Justification: in.Justification, Impact: strings.TrimSpace(in.Impact), Action: strings.TrimSpace(in.Action), Author: author, ExpiresAt: exp})
}
