package label

import (
	"strings"
	"testing"
	"time"
)

func TestTermAndRenewalWindow(t *testing.T) {
	issued := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	end := TermEnd(issued, TermMonths)
	if want := time.Date(2028, 12, 6, 10, 0, 0, 0, time.UTC); !end.Equal(want) {
		t.Fatalf("term ends %v, want %v", end, want)
	}
	opens, closes := RenewalWindow(end)
	// Three months before: 6 September 2028; six weeks (42 days) before: 25 October 2028.
	if !opens.Equal(time.Date(2028, 9, 6, 10, 0, 0, 0, time.UTC)) || !closes.Equal(time.Date(2028, 10, 25, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("window %v to %v", opens, closes)
	}
	for at, ok := range map[time.Time]bool{
		opens.Add(-time.Second): false, opens: true, closes: true, closes.Add(time.Second): false,
	} {
		if err := CheckRenewal(Valid, end, at); (err == nil) != ok {
			t.Errorf("renewal at %v: %v, want ok %v", at, err, ok)
		}
	}
	if err := CheckRenewal(Revoked, end, opens); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("a revoked label renewed: %v", err)
	}
	if err := CheckRenewal(Valid, time.Time{}, opens); err == nil {
		t.Error("a label without a term renewed")
	}
}

func TestDecideLifecycle(t *testing.T) {
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	good := Checks{Plausible: true, SupportEnd: "2031-12"}
	with := func(f func(*Checks)) Checks { c := good; f(&c); return c }
	cases := []struct {
		name    string
		current Status
		checks  Checks
		want    Status
		reason  string
	}{
		{"term running", Valid, with(func(c *Checks) { c.ValidUntil = now.Add(time.Hour) }), Valid, ""},
		{"term ended", Valid, with(func(c *Checks) { c.ValidUntil = now }), Expired, "term ended 2027-03-01T12:00:00Z"},
		{"term ended while suspended", Suspended, with(func(c *Checks) { c.ValidUntil = now.Add(-time.Hour); c.Plausible = false }), Expired, "term ended"},
		{"expired stays expired", Expired, good, Expired, "new declaration"},
		{"revocation beats expiry", Expired, with(func(c *Checks) { c.Revocation = &Revocation{By: "BSI", Why: "fraud"} }), Revoked, "revoked by BSI: fraud"},
		{"standard changed five weeks ago", Valid, with(func(c *Checks) {
			c.Standards = []StandardVersion{{ID: "etsi-en-303-645", Labelled: "V2.1.1", Current: "V3.1.1", Since: now.Add(-35 * 24 * time.Hour)}}
		}), Valid, ""},
		{"standard changed six weeks ago", Valid, with(func(c *Checks) {
			c.Standards = []StandardVersion{{ID: "etsi-en-303-645", Labelled: "V2.1.1", Current: "V3.1.1", Since: now.Add(-LapseAfter)}}
		}), Expired, "lapsed: etsi-en-303-645 changed from V2.1.1 to V3.1.1 on 2027-01-18"},
		{"revocation announced", Valid, with(func(c *Checks) {
			c.Revocation = &Revocation{By: "BSI", Why: "telnet open", Effective: now.Add(time.Hour)}
		}), Valid, "revocation announced by BSI: telnet open; it takes effect 2027-03-01T13:00:00Z"},
		{"announced and suspended", Valid, with(func(c *Checks) {
			c.Revocation = &Revocation{By: "BSI", Why: "telnet open", Effective: now.Add(time.Hour)}
			c.SupportEnd = "2026-12"
		}), Suspended, "revocation announced by BSI: telnet open; it takes effect 2027-03-01T13:00:00Z unless withdrawn; support ended 2026-12"},
		{"comment period over", Valid, with(func(c *Checks) { c.Revocation = &Revocation{By: "BSI", Why: "telnet open", Effective: now} }), Revoked, "revoked by BSI: telnet open"},
	}
	for _, c := range cases {
		got, reason := Decide(c.current, c.checks, now, 0)
		if got != c.want || !strings.Contains(reason, c.reason) || (c.reason == "" && reason != "") {
			t.Errorf("%s: %s %q, want %s %q", c.name, got, reason, c.want, c.reason)
		}
	}
}

func TestExpiredStatementVerifies(t *testing.T) {
	st := sampleStatement()
	st.Status, st.Reason = Expired, "the term ended 2028-12-06T10:00:00Z"
	st.ValidUntil = st.IssuedAt.AddDate(2, 0, 0)
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	st.ValidUntil = st.IssuedAt
	if err := st.Validate(); err == nil || !strings.Contains(err.Error(), "/validUntil") {
		t.Errorf("a term that ends at issuance: %v", err)
	}
}
