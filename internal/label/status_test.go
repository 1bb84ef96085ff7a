package label

import (
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	grace := 14 * 24 * time.Hour
	ok := Checks{Plausible: true, SupportEnd: "2031-12"}
	with := func(mutate func(*Checks)) Checks {
		c := ok
		mutate(&c)
		return c
	}
	exploited := func(id string, daysAgo int) Exploited {
		return Exploited{ID: id, KnownSince: now.AddDate(0, 0, -daysAgo)}
	}
	revocation := &Revocation{By: "BSI", Why: "label misused on another product"}

	tests := []struct {
		name       string
		current    Status
		checks     Checks
		want       Status
		wantReason string
	}{
		// Issuance and valid → valid.
		{"new label, evidence holds", "", ok, Valid, ""},
		{"valid stays valid", Valid, ok, Valid, ""},
		// Valid → suspended, one rule each.
		{"implausible", Valid, with(func(c *Checks) { c.Plausible = false }), Suspended,
			"mandatory requirements not met"},
		{"implausible names requirements sorted", Valid, with(func(c *Checks) { c.Plausible, c.Unmet = false, []string{"cra/b", "cra/a", "cra/b"} }), Suspended,
			"mandatory requirements not met: cra/a, cra/b"},
		{"new label, implausible", "", with(func(c *Checks) { c.Plausible = false }), Suspended,
			"mandatory requirements not met"},
		{"exploited beyond grace", Valid, with(func(c *Checks) { c.Exploited = []Exploited{exploited("CVE-2026-1234", 20)} }), Suspended,
			"CVE-2026-1234 exploited and unfixed longer than the grace period of 14 days (known exploited since 2026-11-07)"},
		{"exploited within grace", Valid, with(func(c *Checks) { c.Exploited = []Exploited{exploited("CVE-2026-1234", 14)} }), Valid, ""},
		{"exploited one second past grace", Valid, with(func(c *Checks) {
			c.Exploited = []Exploited{{ID: "CVE-2026-1", KnownSince: now.Add(-grace - time.Second)}}
		}), Suspended, "CVE-2026-1 exploited and unfixed longer than the grace period of 14 days (known exploited since 2026-11-13)"},
		{"missed deadline", Valid, with(func(c *Checks) {
			c.Deadlines = []Deadline{{Case: "7", Stage: "early-warning", Due: now.Add(-time.Hour)}}
		}), Suspended, "reporting deadline missed: case 7 early-warning was due 2026-11-27T11:00:00Z"},
		{"missed deadline, as its calendar writes it", Valid, with(func(c *Checks) {
			c.Deadlines = []Deadline{{Case: "7", Stage: "final-report", Due: time.Date(2026, 11, 26, 23, 0, 0, 0, time.UTC),
				Article: "Art. 14(2)(c)", DueText: "Thu 26 Nov 2026 24:00 CET (DE)"}}
		}), Suspended, "reporting deadline missed: case 7 final-report (CRA Art. 14(2)(c)) was due Thu 26 Nov 2026 24:00 CET (DE)"},
		{"deadline not yet passed", Valid, with(func(c *Checks) {
			c.Deadlines = []Deadline{{Case: "7", Stage: "notification", Due: now}}
		}), Valid, ""},
		{"support ended", Valid, with(func(c *Checks) { c.SupportEnd = "2026-10" }), Suspended, "support ended 2026-10"},
		{"support ends this month", Valid, with(func(c *Checks) { c.SupportEnd = "2026-11" }), Valid, ""},
		{"no support end", Valid, with(func(c *Checks) { c.SupportEnd = "" }), Suspended, "no support end declared"},
		{"malformed support end", Valid, with(func(c *Checks) { c.SupportEnd = "12/2031" }), Suspended, `support end "12/2031" is not YYYY-MM`},
		{"every cause, in order", Valid, Checks{
			Plausible: false, Unmet: []string{"cra/x"},
			Exploited: []Exploited{exploited("CVE-2026-9", 30), exploited("CVE-2026-10", 15), exploited("CVE-2026-11", 1)},
			Deadlines: []Deadline{
				{Case: "9", Stage: "notification", Due: now.AddDate(0, 0, -1)},
				{Case: "8", Stage: "early-warning", Due: now.AddDate(0, 0, -3)},
			},
			SupportEnd: "2025-01",
		}, Suspended, "mandatory requirements not met: cra/x; " +
			"CVE-2026-10 exploited and unfixed longer than the grace period of 14 days (known exploited since 2026-11-12); " +
			"CVE-2026-9 exploited and unfixed longer than the grace period of 14 days (known exploited since 2026-10-28); " +
			"reporting deadline missed: case 8 early-warning was due 2026-11-24T12:00:00Z; " +
			"reporting deadline missed: case 9 notification was due 2026-11-26T12:00:00Z; " +
			"support ended 2025-01"},
		// Suspended → suspended, suspended → valid.
		{"suspended stays suspended", Suspended, with(func(c *Checks) { c.SupportEnd = "2026-10" }), Suspended, "support ended 2026-10"},
		{"suspended reinstated automatically", Suspended, ok, Valid, "the evidence holds again"},
		// → revoked, and revoked is final.
		{"valid revoked", Valid, with(func(c *Checks) { c.Revocation = revocation }), Revoked, "revoked by BSI: label misused on another product"},
		{"suspended revoked", Suspended, with(func(c *Checks) { c.Revocation = revocation; c.Plausible = false }), Revoked, "revoked by BSI: label misused on another product"},
		{"revocation without details", Valid, with(func(c *Checks) { c.Revocation = &Revocation{} }), Revoked, "revoked by an authority"},
		{"revoked stays revoked", Revoked, with(func(c *Checks) { c.Revocation = revocation }), Revoked, "revoked by BSI: label misused on another product"},
		{"revoked stays revoked when the evidence holds", Revoked, ok, Revoked, "revoked; only a reinstatement by an authority lifts it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := Decide(tt.current, tt.checks, now, grace)
			if got != tt.want || reason != tt.wantReason {
				t.Errorf("Decide(%q) = %s, %q\nwant %s, %q", tt.current, got, reason, tt.want, tt.wantReason)
			}
			// Same arguments, same answer, whatever the order of the evidence.
			c := tt.checks
			c.Exploited = reversed(c.Exploited)
			c.Deadlines = reversed(c.Deadlines)
			if got2, reason2 := Decide(tt.current, c, now.In(time.FixedZone("X", -5*3600)), grace); got2 != got || reason2 != reason {
				t.Errorf("reordered evidence or another zone: %s, %q", got2, reason2)
			}
		})
	}
}

func TestDecideZeroGrace(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c := Checks{Plausible: true, SupportEnd: "2031-12", Exploited: []Exploited{{ID: "CVE-2026-2", KnownSince: now.Add(-time.Hour)}}}
	got, reason := Decide(Valid, c, now, 0)
	want := "CVE-2026-2 exploited and unfixed longer than the grace period of 0 days (known exploited since 2026-11-27)"
	if got != Suspended || reason != want {
		t.Errorf("Decide = %s, %q; want suspended, %q", got, reason, want)
	}
}

func TestDecideReasonStableOverTime(t *testing.T) {
	// A label suspended for the same causes keeps the same reason day after day.
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c := Checks{
		Plausible: true, SupportEnd: "2026-01",
		Exploited: []Exploited{{ID: "CVE-2026-3", KnownSince: now.AddDate(0, 0, -30)}},
		Deadlines: []Deadline{{Case: "4", Stage: "final-report", Due: now.AddDate(0, 0, -2)}},
	}
	_, first := Decide(Valid, c, now, 14*24*time.Hour)
	for d := 1; d <= 400; d += 37 {
		if _, r := Decide(Suspended, c, now.AddDate(0, 0, d), 14*24*time.Hour); r != first {
			t.Fatalf("day +%d: reason %q, was %q", d, r, first)
		}
	}
}

func reversed[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestReinstate(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ok := Checks{Plausible: true, SupportEnd: "2031-12", Revocation: &Revocation{By: "BSI", Why: "old"}}
	failing := ok
	failing.SupportEnd = "2026-01"

	tests := []struct {
		name       string
		current    Status
		by, why    string
		checks     Checks
		want       Status
		wantReason string
		wantErr    bool
	}{
		{"evidence holds", Revoked, "BSI", "revocation was in error", ok, Valid, "reinstated by BSI: revocation was in error", false},
		{"evidence fails", Revoked, "BSI", "appeal granted", failing, Suspended, "reinstated by BSI: appeal granted; suspended: support ended 2026-01", false},
		{"not revoked", Suspended, "BSI", "x", ok, Suspended, "", true},
		{"not issued", "", "BSI", "x", ok, "", "", true},
		{"no authority", Revoked, " ", "x", ok, Revoked, "", true},
		{"no reason", Revoked, "BSI", "", ok, Revoked, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason, err := Reinstate(tt.current, tt.by, tt.why, tt.checks, now, 14*24*time.Hour)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want || reason != tt.wantReason {
				t.Errorf("Reinstate = %s, %q; want %s, %q", got, reason, tt.want, tt.wantReason)
			}
		})
	}
}
