package app

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

// FindingView is a stored finding with its triage, as the API and the pages show it.
type FindingView struct {
	match.Finding
	FirstSeen time.Time `json:"firstSeen"`
	Resolved  bool      `json:"resolved,omitempty"`
	VEX       *VEXView  `json:"vex,omitempty"`
}

// VEXView is a triage decision about a finding, as the API and the pages show it.
type VEXView struct {
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

// ViewVEX is the view of a stored triage decision.
func ViewVEX(v store.VEX) *VEXView {
	out := &VEXView{Status: v.Status, Justification: v.Justification, Impact: v.Impact, Action: v.Action, Author: v.Author, Time: v.CreatedAt, ExpiresAt: v.ExpiresAt}
	if v.Inherited {
		out.InheritedFrom = v.Release
	}
	return out
}

// Open reports whether the finding still needs work: not triaged as not affected or fixed.
func (f FindingView) Open() bool {
	return f.VEX == nil || (f.VEX.Status != "not_affected" && f.VEX.Status != "fixed")
}

// ViewFinding is the view of a stored finding with its decision among vex, the release's
// effective decisions.
func ViewFinding(x store.Finding, vex map[store.VEXKey]store.VEX) (FindingView, error) {
	v := FindingView{FirstSeen: x.FirstSeen, Resolved: x.Resolved}
	if err := json.Unmarshal(x.Data, &v.Finding); err != nil {
		return v, err
	}
	if st, ok := vex[store.VEXKey{Vulnerability: x.Vulnerability, PURL: x.PURL}]; ok {
		v.VEX = ViewVEX(st)
	}
	return v, nil
}

// FindingFilter reads the filter query parameters shared by the API and the release page:
// severity (minimum), exploited, q, resolved, sort, reverse, limit, offset.
func FindingFilter(r *http.Request, defLimit int) (store.FindingFilter, error) {
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

// LoadFindings reads a release's findings with their VEX status.
func (s *Deps) LoadFindings(ctx context.Context, release int64, f store.FindingFilter) ([]FindingView, int, error) {
	xs, total, err := s.Store.Findings(ctx, release, f)
	if err != nil {
		return nil, 0, err
	}
	vex, err := s.Store.EffectiveVEX(ctx, release)
	if err != nil {
		return nil, 0, err
	}
	out := make([]FindingView, 0, len(xs))
	for _, x := range xs {
		v, err := ViewFinding(x, vex)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, nil
}
