package authority

import (
	"strings"
	"testing"
)

func eur(n int64) *Euro { e := EUR(n); return &e }

// The cases are worked by hand from Art. 64(2) to (4) and (10) of Regulation (EU) 2024/2847:
// each ceiling is the fixed amount or the turnover share, whichever is higher, for an undertaking.
func TestEstimateFineGolden(t *testing.T) {
	large := Offender{Undertaking: true, Manufacturer: true, SizeClass: Large}
	with := func(o Offender, turnover *Euro, class string) Offender {
		o.Turnover, o.SizeClass = turnover, class
		return o
	}
	cases := []struct {
		name      string
		offender  Offender
		infringed []Provision
		tier      string
		max       Euro
		exempt    string // a substring of the exemption, "" when none
	}{
		// Art. 64(2): 2.5 % of EUR 1.5 million is 37,500, so the fixed 15 million is higher.
		{"micro firm, Art. 13", with(large, eur(1_500_000), Micro), []Provision{"Art. 13(6)"}, "Art. 64(2)", EUR(15_000_000), ""},
		// 2.5 % of EUR 50 million is 1.25 million: the fixed amount is higher.
		{"EUR 50 M turnover, Annex I", with(large, eur(50_000_000), Medium), []Provision{"Annex I Part I(2)(a)"}, "Art. 64(2)", EUR(15_000_000), ""},
		// 2.5 % of EUR 1 billion is 25 million, above 15 million.
		{"EUR 1 bn turnover, Annex I", with(large, eur(1_000_000_000), Large), []Provision{"Annex I"}, "Art. 64(2)", EUR(25_000_000), ""},
		// Art. 64(3): 2 % of EUR 1 billion is 20 million, above 10 million.
		{"EUR 1 bn turnover, Art. 20", with(large, eur(1_000_000_000), Large), []Provision{"Art. 20"}, "Art. 64(3)", EUR(20_000_000), ""},
		// Art. 64(4): 1 % of EUR 1 billion is 10 million, above 5 million.
		{"EUR 1 bn turnover, misleading information", with(large, eur(1_000_000_000), Large), []Provision{Misleading}, "Art. 64(4)", EUR(10_000_000), ""},
		// 1 % of EUR 50 million is 500,000: the fixed 5 million is higher.
		{"EUR 50 M turnover, misleading information", with(large, eur(50_000_000), Medium), []Provision{Misleading}, "Art. 64(4)", EUR(5_000_000), ""},
		// At EUR 600 million the share is exactly 15 million; 40 euros more give 15,000,001.
		{"at the Art. 64(2) crossover", with(large, eur(600_000_000), Large), []Provision{"Art. 14(2)(b)"}, "Art. 64(2)", EUR(15_000_000), ""},
		{"just above the crossover", with(large, eur(600_000_040), Large), []Provision{"Art. 14(2)(b)"}, "Art. 64(2)", EUR(15_000_001), ""},
		// 2.5 % of EUR 1,000,000,001 is 25,000,000.025: rounded down to the cent.
		{"share rounded down to the cent", with(large, eur(1_000_000_001), Large), []Provision{"Annex I"}, "Art. 64(2)", EUR(25_000_000) + 2, ""},
		// Art. 64(10)(b): no fine on a steward, whatever the infringement.
		{"steward", Offender{Undertaking: true, Steward: true, Turnover: eur(80_000_000)}, []Provision{"Art. 13(1)"}, "Art. 64(2)", 0, "64(10)(b)"},
		// Art. 64(10)(a): a small manufacturer that misses the 24-hour early warning is not fined.
		{"small firm, missed 24 h early warning", with(large, eur(8_000_000), Small), []Provision{"Art. 14(2)(a)"}, "Art. 64(2)", 0, "64(10)(a)"},
		{"micro firm, missed 24 h incident warning", with(large, eur(1_000_000), Micro), []Provision{"Art. 14(4)(a)"}, "Art. 64(2)", 0, "64(10)(a)"},
		// The exemption covers the 24-hour stage only: the 72-hour notification is fined as any.
		{"small firm, missed 72 h notification", with(large, eur(8_000_000), Small), []Provision{"Art. 14(2)(b)"}, "Art. 64(2)", EUR(15_000_000), ""},
		// A medium-sized enterprise has no exemption for the 24-hour stage.
		{"medium firm, missed 24 h early warning", with(large, eur(40_000_000), Medium), []Provision{"Art. 14(2)(a)"}, "Art. 64(2)", EUR(15_000_000), ""},
		// The percentage applies to undertakings only.
		{"not an undertaking", Offender{Turnover: eur(2_000_000_000)}, []Provision{"Annex I"}, "Art. 64(2)", EUR(15_000_000), ""},
		// Turnover unknown: the fixed amount is the least the ceiling can be.
		{"turnover unknown", Offender{Undertaking: true, Manufacturer: true}, []Provision{"Art. 31(2)"}, "Art. 64(3)", EUR(10_000_000), ""},
		{"Art. 33(5)", with(large, eur(100), Large), []Provision{"Art. 33(5)"}, "Art. 64(3)", EUR(10_000_000), ""},
		// Several infringements: the highest ceiling, not their sum.
		{"two tiers", with(large, eur(1_000_000_000), Large), []Provision{"Art. 20", "Annex I", Misleading}, "Art. 64(3)", EUR(25_000_000), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := EstimateFine(c.offender, c.infringed, Factors{})
			if err != nil {
				t.Fatal(err)
			}
			if e.Maximum != c.max {
				t.Errorf("maximum %s, want %s\n%v", e.Maximum, c.max, e.Lines)
			}
			if e.Lines[0].Tier != c.tier {
				t.Errorf("tier %q, want %q", e.Lines[0].Tier, c.tier)
			}
			if got := e.Lines[0].Exempt; (c.exempt == "") != (got == "") || !strings.Contains(got, c.exempt) {
				t.Errorf("exemption %q, want one naming %q", got, c.exempt)
			}
		})
	}
}

func TestTierOf(t *testing.T) {
	for _, c := range []struct {
		p    Provision
		tier string
		err  bool
	}{
		{"Art. 30(4)", "Art. 64(3)", false},
		{"Art. 30(5)", "", false},
		{"Art. 32(3)", "Art. 64(3)", false},
		{"Art. 32(4)", "", false},
		{"Art. 33(2)", "", false},
		{"Art. 24(1)", "", false}, // steward obligations: no Union ceiling
		{"Art. 53", "Art. 64(3)", false},
		{"Art. 30", "", true}, // listed only in part: the paragraph decides
		{"Article 13", "", true},
		{"", "", true},
	} {
		tier, ok, err := TierOf(c.p)
		if (err != nil) != c.err {
			t.Errorf("%q: error %v, want error %v", c.p, err, c.err)
			continue
		}
		got := ""
		if ok {
			got = tier.Paragraph
		}
		if got != c.tier {
			t.Errorf("%q: tier %q, want %q", c.p, got, c.tier)
		}
	}
}

func TestCrossovers(t *testing.T) {
	for _, c := range []struct {
		t    Tier
		want Euro
	}{{TierEssential, EUR(600_000_000)}, {TierOperators, EUR(500_000_000)}, {TierInformation, EUR(500_000_000)}} {
		if got := c.t.Crossover(); got != c.want {
			t.Errorf("%s: crossover %s, want %s", c.t.Paragraph, got, c.want)
		}
	}
}

func TestNoCeilingIsSaid(t *testing.T) {
	e, err := EstimateFine(Offender{Undertaking: true, Turnover: eur(1)}, []Provision{"Art. 30(5)"}, Factors{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Maximum != 0 || !strings.Contains(e.Lines[0].Reasons[0], "Art. 64(1)") {
		t.Errorf("got %s, %q; want no Union ceiling named as such", e.Maximum, e.Lines[0].Reasons)
	}
}

func TestEuroString(t *testing.T) {
	for v, want := range map[Euro]string{EUR(15_000_000): "EUR 15,000,000", EUR(0): "EUR 0", EUR(999): "EUR 999", EUR(1000) + 5: "EUR 1,000.05"} {
		if got := v.String(); got != want {
			t.Errorf("%d: %q, want %q", int64(v), got, want)
		}
	}
}
