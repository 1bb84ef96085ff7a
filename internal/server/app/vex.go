package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
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
func (d *Deps) SetVEX(ctx context.Context, release int64, vuln string, in VEXInput, author string) (*store.VEX, error) {
	if _, err := d.Store.FindingByKey(ctx, release, vuln, in.PURL); err != nil {
		return nil, err
	}
	exp, err := ParseExpiry(in.ExpiresAt)
	if err != nil {
		return nil, err
	}
	return d.Store.SetVEX(ctx, store.VEX{Release: release, Vulnerability: vuln, PURL: in.PURL, Status: in.Status,
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
