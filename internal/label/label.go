// Package label issues and checks Siegel's IT-security label: a manufacturer declares a product
// release against requirement catalogs, the issuer signs a label statement, and the label's
// public page (what its QR code opens) shows the latest one.
//
// A label statement is a JSON document carried in a DSSE envelope (in-toto's Dead Simple Signing
// Envelope) and signed with Ed25519 over DSSE's pre-authentication encoding of the exact payload
// bytes, so no JSON canonicalisation is involved: what is verified is what was signed. Every change
// of status is a new statement with the next sequence number. The status itself is decided by a
// pure function of the evidence (Decide): a label is suspended automatically while its evidence
// fails and revoked only by an authority.
package label

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/siegel-oss/siegel/internal/catalog"
)

// SchemaV1 identifies version 1 of the label statement format; it is the statement's "schema".
const SchemaV1 = "https://siegel.dev/schema/label-statement/v1"

// Status is a label's status.
type Status string

// Statuses of a label.
const (
	// Valid: the evidence holds.
	Valid Status = "valid"
	// Suspended: the evidence fails for now; the label is valid again once it holds.
	Suspended Status = "suspended"
	// Revoked: an authority withdrew the label; only an authority's reinstatement lifts it.
	Revoked Status = "revoked"
	// Expired: the label's term ended, or it lapsed because a standard it was issued against
	// changed and the release was not declared against the new version in time. Final: a new
	// declaration gives a new label.
	Expired Status = "expired"
)

func (s Status) known() bool { return s == Valid || s == Suspended || s == Revoked || s == Expired }

// Statement is one signed statement about a label. Its JSON form, in this field order, is the
// payload of the envelope; Sign writes times in UTC to the second.
type Statement struct {
	Schema      string    `json:"schema"`
	LabelID     string    `json:"labelId"`
	Sequence    uint64    `json:"sequence"` // 1 for the first statement, +1 for each status change
	Status      Status    `json:"status"`
	Reason      string    `json:"reason,omitempty"` // required unless the status is valid
	IssuedAt    time.Time `json:"issuedAt"`         // when the label was first issued
	StatusSince time.Time `json:"statusSince"`      // when the current status began
	// ValidUntil is the end of the label's term (the instant it expires); zero in statements
	// signed before labels had a term.
	ValidUntil   time.Time `json:"validUntil,omitzero"`
	Issuer       Party     `json:"issuer"`
	Manufacturer Party     `json:"manufacturer"`
	Product      Product   `json:"product"`
	Release      Release   `json:"release"`
	Catalogs     []Catalog `json:"catalogs"` // the catalogs the release was evaluated against
	Verdicts     Verdicts  `json:"verdicts"`
	PageURL      string    `json:"pageUrl"` // the public page, what the QR code opens
}

// Party is an organisation named in a statement.
type Party struct {
	Name string `json:"name"`
}

// Product is the labelled product.
type Product struct {
	Name     string `json:"name"`
	Category string `json:"category"` // router, smart-consumer-device, ...
	CRAClass string `json:"craClass"` // default, important-i, important-ii, critical
}

// Release is the labelled release of the product.
type Release struct {
	Version    string `json:"version"`
	SupportEnd string `json:"supportEnd"` // YYYY-MM, the last month of security support
}

// Catalog names one requirement catalog and the version of it used.
type Catalog struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// Verdicts summarises the release's verdicts: a count per result, and the requirements that
// failed or were passed on an attestation.
type Verdicts struct {
	Counts   Counts   `json:"counts"`
	Failed   []string `json:"failed"`   // requirement ids; as many as Counts.Fail
	Attested []string `json:"attested"` // requirement ids passed on an attestation
}

// Counts counts verdicts per result, the results being the catalog package's.
type Counts struct {
	Pass             int `json:"pass"`
	Fail             int `json:"fail"`
	NeedsAttestation int `json:"needsAttestation"`
	NotApplicable    int `json:"notApplicable"`
}

// Field limits keep a statement small enough to show on a page.
const (
	maxText = 256  // names, versions, ids
	maxLong = 4096 // reason, URL
	maxList = 4096 // catalogs, failed, attested
)

var (
	// At most 128 long, checked apart: a counted repetition {0,127} compiles into 127 copies
	// of the class, which every start of the binary would pay for.
	labelIDRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	supportEndRe = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
)

var craClasses = map[string]bool{
	catalog.ClassDefault: true, catalog.ClassImportantI: true, catalog.ClassImportantII: true, catalog.ClassCritical: true,
}

// Validate checks the statement's fields. The error is a *FieldError naming the first field
// (as a JSON pointer) that breaks a rule.
func (st *Statement) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &FieldError{Field: field, Rule: fmt.Sprintf(format, args...)}
	}
	text := func(field, v string, required bool) error {
		switch {
		case v == "" && required:
			return bad(field, "required")
		case len(v) > maxText:
			return bad(field, "longer than %d bytes", maxText)
		}
		return printable(field, v)
	}
	switch {
	case st.Schema != SchemaV1:
		return bad("/schema", "want %q, got %q", SchemaV1, clip(st.Schema))
	case len(st.LabelID) > 128 || !labelIDRe.MatchString(st.LabelID):
		return bad("/labelId", "want 1 to 128 of A-Z a-z 0-9 . _ - starting with a letter or digit, got %q", clip(st.LabelID))
	case st.Sequence == 0:
		return bad("/sequence", "must be 1 or more")
	case !st.Status.known():
		return bad("/status", "want valid, suspended, revoked or expired, got %q", clip(string(st.Status)))
	case st.Status != Valid && st.Reason == "":
		return bad("/reason", "required when the status is %s", st.Status)
	case len(st.Reason) > maxLong:
		return bad("/reason", "longer than %d bytes", maxLong)
	}
	if err := printable("/reason", st.Reason); err != nil {
		return err
	}
	switch {
	case st.IssuedAt.IsZero():
		return bad("/issuedAt", "required")
	case st.StatusSince.IsZero():
		return bad("/statusSince", "required")
	case st.StatusSince.Before(st.IssuedAt):
		return bad("/statusSince", "before issuedAt")
	case !st.ValidUntil.IsZero() && !st.ValidUntil.After(st.IssuedAt):
		return bad("/validUntil", "not after issuedAt")
	}
	for _, f := range []struct {
		field, v string
	}{
		{"/issuer/name", st.Issuer.Name},
		{"/manufacturer/name", st.Manufacturer.Name},
		{"/product/name", st.Product.Name},
		{"/product/category", st.Product.Category},
		{"/release/version", st.Release.Version},
	} {
		if err := text(f.field, f.v, true); err != nil {
			return err
		}
	}
	if !craClasses[st.Product.CRAClass] {
		return bad("/product/craClass", "want default, important-i, important-ii or critical, got %q", clip(st.Product.CRAClass))
	}
	if !supportEndRe.MatchString(st.Release.SupportEnd) {
		return bad("/release/supportEnd", "want YYYY-MM, got %q", clip(st.Release.SupportEnd))
	}
	if len(st.Catalogs) == 0 {
		return bad("/catalogs", "at least one catalog is required")
	}
	if len(st.Catalogs) > maxList {
		return bad("/catalogs", "more than %d entries", maxList)
	}
	for i, c := range st.Catalogs {
		if err := text(fmt.Sprintf("/catalogs/%d/id", i), c.ID, true); err != nil {
			return err
		}
		if err := text(fmt.Sprintf("/catalogs/%d/version", i), c.Version, true); err != nil {
			return err
		}
	}
	c := st.Verdicts.Counts
	for _, n := range []struct {
		field string
		v     int
	}{{"pass", c.Pass}, {"fail", c.Fail}, {"needsAttestation", c.NeedsAttestation}, {"notApplicable", c.NotApplicable}} {
		if n.v < 0 {
			return bad("/verdicts/counts/"+n.field, "negative")
		}
	}
	if len(st.Verdicts.Failed) != c.Fail {
		return bad("/verdicts/failed", "lists %d requirements, counts.fail says %d", len(st.Verdicts.Failed), c.Fail)
	}
	if len(st.Verdicts.Attested) > c.Pass {
		return bad("/verdicts/attested", "lists %d requirements, more than the %d that pass", len(st.Verdicts.Attested), c.Pass)
	}
	for _, l := range []struct {
		field string
		ids   []string
	}{{"/verdicts/failed", st.Verdicts.Failed}, {"/verdicts/attested", st.Verdicts.Attested}} {
		if len(l.ids) > maxList {
			return bad(l.field, "more than %d entries", maxList)
		}
		for i, id := range l.ids {
			if err := text(fmt.Sprintf("%s/%d", l.field, i), id, true); err != nil {
				return err
			}
		}
	}
	if err := checkPageURL(st.PageURL); err != nil {
		return bad("/pageUrl", "%v", err)
	}
	return nil
}

func checkPageURL(s string) error {
	if s == "" {
		return fmt.Errorf("required")
	}
	if len(s) > MaxQRBytes {
		return fmt.Errorf("longer than %d bytes", MaxQRBytes)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("want an absolute http or https URL without user info, got %q", clip(s))
	}
	return nil
}

// printable refuses text that is not UTF-8 or holds control characters: statements are shown on
// terminals and pages, where such bytes could disguise what was signed.
func printable(field, v string) error {
	if !utf8.ValidString(v) {
		return &FieldError{Field: field, Rule: "not UTF-8"}
	}
	if i := strings.IndexFunc(v, unicode.IsControl); i >= 0 {
		return &FieldError{Field: field, Rule: fmt.Sprintf("control character at byte %d", i)}
	}
	return nil
}

// FieldError is a statement field that breaks a rule of the format.
type FieldError struct {
	Field string // JSON pointer, such as "/release/supportEnd"
	Rule  string
}

func (e *FieldError) Error() string { return "field " + e.Field + ": " + e.Rule }

// clip shortens a value quoted in an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// normalize returns the statement as Sign writes it: times in UTC to the second, lists not nil.
func (st Statement) normalize() Statement {
	st.IssuedAt = st.IssuedAt.UTC().Truncate(time.Second)
	st.StatusSince = st.StatusSince.UTC().Truncate(time.Second)
	if !st.ValidUntil.IsZero() {
		st.ValidUntil = st.ValidUntil.UTC().Truncate(time.Second)
	}
	// Empty lists are written as [] rather than null.
	if st.Verdicts.Failed == nil {
		st.Verdicts.Failed = []string{}
	}
	if st.Verdicts.Attested == nil {
		st.Verdicts.Attested = []string{}
	}
	return st
}
