package cra

import (
	"strings"
	"testing"
	"time"
)

// TestCheckSupport is the golden table of support periods, each case with the provision it
// applies. Five years from placing are counted as Reg. 1182/71 Art. 3(2)(c) counts years: they end
// on the same date five years later (or that month's last day).
func TestCheckSupport(t *testing.T) {
	today := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	reason := func(p SupportPeriod) SupportPeriod {
		p.ExpectedUseMonths, p.Basis, p.Justification = 24, "intended-purpose", "sold as a trade-fair badge for two seasons"
		return p
	}
	for _, tc := range []struct {
		name, cite string
		in         SupportPeriod
		ok         bool
		rule       string
		length     string
		warn       bool
	}{
		{"five years from the last day of a year", "Art. 13(8) third subpara.; Reg. 1182/71 Art. 3(2)(c)",
			SupportPeriod{PlacedOnMarket: "2026-12-31", End: "2031-12"}, true, RuleFiveYears, "5 years", false},
		{"ending a month early is 4 years 11 months, not five years", "Art. 13(8) third subpara.",
			SupportPeriod{PlacedOnMarket: "2026-12-31", End: "2031-11", Justification: "long enough"}, false, RuleExpectedUse, "4 years 11 months", false},
		{"placed on the 10th, ending with the month before: ten days short", "Art. 13(8) third subpara.; Reg. 1182/71 Art. 3(2)(c)",
			SupportPeriod{PlacedOnMarket: "2026-01-10", End: "2030-12"}, false, RuleExpectedUse, "4 years 11 months 21 days", false},
		{"placed on the 1st: five years end on the 1st five years later", "Art. 13(8) third subpara.; Reg. 1182/71 Art. 3(2)(c)",
			SupportPeriod{PlacedOnMarket: "2026-01-01", End: "2031-01"}, true, RuleFiveYears, "5 years 30 days", false},
		{"placed on 29 February: five years end on 28 February", "Art. 13(8) third subpara.; Reg. 1182/71 Art. 3(2)(c)",
			SupportPeriod{PlacedOnMarket: "2028-02-29", End: "2033-02"}, true, RuleFiveYears, "5 years", false},
		{"an end before placing is refused", "Art. 13(8) second subpara.",
			SupportPeriod{PlacedOnMarket: "2026-06-15", End: "2026-01", ExpectedUseMonths: 3, Basis: "intended-purpose", Justification: "event device"}, false, RuleDetermined, "", false},
		{"a two-month period with \".\" as the reason", "Art. 13(8) third subpara.",
			SupportPeriod{PlacedOnMarket: "2026-10-01", End: "2026-11", Justification: "."}, false, RuleExpectedUse, "1 month 29 days", false},
		{"\".\" does not pass as a structured reason either", "Art. 13(8) third subpara.",
			SupportPeriod{PlacedOnMarket: "2026-10-01", End: "2026-11", ExpectedUseMonths: 1, Basis: "intended-purpose", Justification: "."}, false, RuleExpectedUse, "1 month 29 days", false},
		{"under five years with expected use and its basis", "Art. 13(8) third subpara., second sentence",
			reason(SupportPeriod{PlacedOnMarket: "2026-10-01", End: "2028-10"}), true, RuleExpectedUse, "2 years 30 days", false},
		{"shorter than the expected use it claims", "Art. 13(8) third subpara., second sentence",
			reason(SupportPeriod{PlacedOnMarket: "2026-10-01", End: "2028-08"}), false, RuleExpectedUse, "1 year 10 months 30 days", false},
		{"expected use of five years or more needs five years", "Art. 13(8) third subpara.",
			SupportPeriod{PlacedOnMarket: "2026-10-01", End: "2028-10", ExpectedUseMonths: 72, Basis: "user-expectations", Justification: "users keep it for six years"}, false, RuleExpectedUse, "2 years 30 days", false},
		{"a basis the law does not name", "Art. 13(8) second subpara.",
			SupportPeriod{PlacedOnMarket: "2026-10-01", End: "2028-10", ExpectedUseMonths: 24, Basis: "marketing", Justification: "we plan a successor"}, false, RuleExpectedUse, "2 years 30 days", false},
		{"a router supported for exactly five years is warned", "Art. 13(8) second subpara.; recital (60)",
			SupportPeriod{PlacedOnMarket: "2026-12-31", End: "2031-12", Category: "router"}, true, RuleFiveYears, "5 years", true},
		{"a router supported for seven years is not", "recital (60)",
			SupportPeriod{PlacedOnMarket: "2026-12-31", End: "2033-12", Category: "Routers"}, true, RuleFiveYears, "7 years", false},
		{"a router under five years is warned and needs its reason", "Art. 13(8) third subpara.; recital (60)",
			SupportPeriod{PlacedOnMarket: "2026-12-31", End: "2029-12", Category: "home-router"}, false, RuleExpectedUse, "3 years", true},
		{"five years but shorter than the recorded expected use", "Art. 13(8) second subpara.",
			SupportPeriod{PlacedOnMarket: "2026-12-31", End: "2031-12", ExpectedUseMonths: 96, Basis: "user-expectations"}, false, RuleDetermined, "5 years", false},
		{"not yet placed: counted from today", "Art. 13(8) third subpara.",
			SupportPeriod{Since: today, End: "2031-11"}, true, RuleFiveYears, "5 years 8 days", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := CheckSupport(tc.in)
			if err != nil {
				t.Fatalf("%s: %v", tc.cite, err)
			}
			if v.OK != tc.ok || v.Rule != tc.rule || (tc.length != "" && v.Length() != tc.length) || (len(v.Warnings) > 0) != tc.warn {
				t.Errorf("%s: got ok=%v rule=%q length=%q warnings=%q (%s); want ok=%v rule=%q length=%q warning=%v",
					tc.cite, v.OK, v.Rule, v.Length(), v.Warnings, v.Reason, tc.ok, tc.rule, tc.length, tc.warn)
			}
		})
	}
}

func TestCheckSupportInput(t *testing.T) {
	for _, in := range []SupportPeriod{{End: "2031"}, {End: "2031-13"}, {PlacedOnMarket: "31.12.2026", End: "2031-12"}} {
		if _, err := CheckSupport(in); err == nil || !strings.Contains(err.Error(), "want") {
			t.Errorf("%+v: error %v, want one saying the format", in, err)
		}
	}
}
