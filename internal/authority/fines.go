package authority

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Euro is an amount in euro cents.
type Euro int64

// MarshalJSON writes the amount as a number of euros with the cents as decimals.
func (e Euro) MarshalJSON() ([]byte, error) {
	v := int64(e)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	if v%100 == 0 {
		return []byte(fmt.Sprintf("%s%d", sign, v/100)), nil
	}
	return []byte(fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)), nil
}

// EUR is n whole euros.
func EUR(n int64) Euro { return Euro(n * 100) }

// String writes the amount as "EUR 15,000,000" (cents only when there are any).
func (e Euro) String() string {
	neg := e < 0
	if neg {
		e = -e
	}
	whole, cents := int64(e)/100, int64(e)%100
	s := strconv.FormatInt(whole, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := "EUR " + b.String()
	if cents != 0 {
		out += fmt.Sprintf(".%02d", cents)
	}
	if neg {
		out = "-" + out
	}
	return out
}

// Tier is one paragraph of Art. 64 that sets a ceiling: a fixed amount, or for an undertaking a
// share of its total worldwide annual turnover for the preceding financial year, whichever is
// higher.
type Tier struct {
	Paragraph string // "Art. 64(2)"
	Fixed     Euro
	// Permille is the turnover share in tenths of a percent (25 = 2.5 %).
	Permille int64
	Covers   string
}

// Crossover is the turnover from which the share exceeds the fixed amount.
func (t Tier) Crossover() Euro { return Euro(int64(t.Fixed) * 1000 / t.Permille) }

// Percent writes the share as "2.5 %".
func (t Tier) Percent() string {
	s := strconv.FormatInt(t.Permille/10, 10)
	if t.Permille%10 != 0 {
		s += "." + strconv.FormatInt(t.Permille%10, 10)
	}
	return s + " %"
}

// The three tiers of Art. 64(2) to (4).
var (
	TierEssential = Tier{"Art. 64(2)", EUR(15_000_000), 25,
		"the essential cybersecurity requirements of Annex I and the obligations of Art. 13 and 14"}
	TierOperators = Tier{"Art. 64(3)", EUR(10_000_000), 20,
		"the obligations of Art. 18 to 23, 28, 30(1) to (4), 31(1) to (4), 32(1) to (3), 33(5), 39, 41, 47, 49 and 53"}
	TierInformation = Tier{"Art. 64(4)", EUR(5_000_000), 10,
		"incorrect, incomplete or misleading information supplied to notified bodies or market surveillance authorities in reply to a request"}
)

// Misleading names the Art. 64(4) infringement in a list of infringed provisions.
const Misleading = "misleading-information"

// Provision is an infringed provision as written: "Annex I", "Annex I Part II(1)", "Art. 13(6)",
// "Art. 14(2)(a)", "Art. 30(3)", or Misleading.
type Provision string

var provisionRE = regexp.MustCompile(`^Art\. ?(\d{1,2})((?:\([0-9a-z]{1,4}\))*)$`)

// parsed is a provision's article, its paragraph (0 when none is given) and the points after it.
type parsed struct {
	annexI    bool
	article   int
	paragraph int
	point     string
}

func (p Provision) parse() (parsed, error) {
	s := strings.TrimSpace(string(p))
	if s == Misleading {
		return parsed{}, nil
	}
	if s == "Annex I" || strings.HasPrefix(s, "Annex I ") {
		return parsed{annexI: true}, nil
	}
	m := provisionRE.FindStringSubmatch(s)
	if m == nil {
		return parsed{}, fmt.Errorf("infringed provision %q: write it as \"Annex I\", \"Art. 13(6)\", \"Art. 14(2)(a)\" or %q", s, Misleading)
	}
	out := parsed{}
	out.article, _ = strconv.Atoi(m[1])
	parts := strings.FieldsFunc(m[2], func(r rune) bool { return r == '(' || r == ')' })
	if len(parts) > 0 {
		n, err := strconv.Atoi(parts[0])
		if err != nil {
			return parsed{}, fmt.Errorf("infringed provision %q: the first bracket is a paragraph number", s)
		}
		out.paragraph = n
		if len(parts) > 1 {
			out.point = parts[1]
		}
	}
	return out, nil
}

// TierOf says which paragraph of Art. 64 sets the ceiling for an infringement of p, or ok false
// when none does (Member States' own penalties under Art. 64(1) apply then, without a Union
// ceiling). A provision the paragraph lists only in part ("Art. 30(1) to (4)") without a paragraph
// number is an error: whether it falls in the tier depends on the paragraph.
func TierOf(p Provision) (Tier, bool, error) {
	if strings.TrimSpace(string(p)) == Misleading {
		return TierInformation, true, nil
	}
	q, err := p.parse()
	if err != nil {
		return Tier{}, false, err
	}
	if q.annexI || q.article == 13 || q.article == 14 {
		return TierEssential, true, nil
	}
	whole := []int{18, 19, 20, 21, 22, 23, 28, 39, 41, 47, 49, 53}
	upTo := map[int]int{30: 4, 31: 4, 32: 3}
	if slices.Contains(whole, q.article) {
		return TierOperators, true, nil
	}
	if max, ok := upTo[q.article]; ok {
		if q.paragraph == 0 {
			return Tier{}, false, fmt.Errorf("infringed provision %q: Art. 64(3) lists Art. %d(1) to (%d) only: name the paragraph", p, q.article, max)
		}
		return TierOperators, q.paragraph <= max, nil
	}
	if q.article == 33 {
		if q.paragraph == 0 {
			return Tier{}, false, fmt.Errorf("infringed provision %q: Art. 64(3) lists Art. 33(5) only: name the paragraph", p)
		}
		return TierOperators, q.paragraph == 5, nil
	}
	return Tier{}, false, nil
}

// Offender is who the estimate is for.
type Offender struct {
	Name string `json:"name,omitempty"`
	// Undertaking: the percentage ceilings apply only to undertakings (Art. 64(2) to (4)).
	Undertaking bool `json:"undertaking"`
	// Turnover is the total worldwide annual turnover for the preceding financial year; nil when
	// not known, in which case only the fixed amounts can be stated.
	Turnover *Euro `json:"turnover,omitempty"`
	// SizeClass (micro, small, medium, large) and Manufacturer decide Art. 64(10)(a).
	SizeClass    string `json:"sizeClass,omitempty"`
	Manufacturer bool   `json:"manufacturer"`
	// Steward: an open-source software steward (Art. 24) is not fined (Art. 64(10)(b)).
	Steward bool `json:"steward"`
}

// Factors are the circumstances Art. 64(5) has the authority take into account: recorded with the
// estimate, weighed by the authority, never turned into an amount here.
type Factors struct {
	// (a) the nature, gravity and duration of the infringement and its consequences
	Nature       string `json:"nature,omitempty"`
	Gravity      string `json:"gravity,omitempty"`
	Duration     string `json:"duration,omitempty"`
	Consequences string `json:"consequences,omitempty"`
	// (b) fines already imposed on the same operator for a similar infringement, by this or other
	// market surveillance authorities
	EarlierFines []string `json:"earlierFines,omitempty"`
	// (c) the operator's size (micro, small and medium-sized enterprises and start-ups among them)
	// and market share
	MarketShare string `json:"marketShare,omitempty"`
}

// Line is the ceiling for one infringed provision.
type Line struct {
	Provision Provision `json:"provision"`
	Tier      string    `json:"tier,omitempty"` // "Art. 64(2)", "" when no paragraph of Art. 64 sets a ceiling
	Fixed     Euro      `json:"fixed"`
	Share     Euro      `json:"share"`   // the turnover share; 0 when it does not apply or turnover is not known
	Maximum   Euro      `json:"maximum"` // the higher of the two; 0 when exempt or no ceiling
	Exempt    string    `json:"exempt,omitempty"`
	Reasons   []string  `json:"reasons"`
}

// Estimate is the ceiling an authority may not exceed, with its reasons.
type Estimate struct {
	Offender Offender `json:"offender"`
	Lines    []Line   `json:"lines"`
	// Maximum is the highest ceiling among the lines. Art. 64 sets a ceiling per infringement;
	// whether the ceilings of several infringements add up is left to the Member State's rules
	// (Art. 64(1)), so they are not added here.
	Maximum Euro     `json:"maximum"`
	Factors Factors  `json:"factors"`
	Notes   []string `json:"notes"`
}

// EstimateFine computes the Art. 64 ceiling for each infringed provision.
func EstimateFine(o Offender, infringed []Provision, f Factors) (Estimate, error) {
	if len(infringed) == 0 {
		return Estimate{}, errors.New("fine estimate: name at least one infringed provision")
	}
	if err := CheckSizeClass(o.SizeClass); err != nil {
		return Estimate{}, err
	}
	if o.Turnover != nil && *o.Turnover < 0 {
		return Estimate{}, errors.New("fine estimate: turnover cannot be negative")
	}
	e := Estimate{Offender: o, Factors: f}
	for _, p := range infringed {
		t, ok, err := TierOf(p)
		if err != nil {
			return Estimate{}, err
		}
		l := Line{Provision: p}
		if !ok {
			l.Reasons = append(l.Reasons, fmt.Sprintf("%s is not among the provisions Art. 64(2) to (4) set ceilings for: the Member State's penalties under Art. 64(1) apply, with no Union ceiling", p))
			e.Lines = append(e.Lines, l)
			continue
		}
		l.Tier, l.Fixed = t.Paragraph, t.Fixed
		l.Reasons = append(l.Reasons, fmt.Sprintf("%s: %s covers %s: up to %s or, for an undertaking, %s of total worldwide annual turnover for the preceding financial year, whichever is higher", p, t.Paragraph, t.Covers, t.Fixed, t.Percent()))
		switch {
		case !o.Undertaking:
			l.Reasons = append(l.Reasons, "the offender is not an undertaking: the fixed amount is the ceiling")
		case o.Turnover == nil:
			l.Reasons = append(l.Reasons, fmt.Sprintf("turnover not stated: the ceiling is at least %s, and higher if turnover exceeds %s", t.Fixed, t.Crossover()))
		default:
			l.Share = share(*o.Turnover, t.Permille)
			if l.Share > l.Fixed {
				l.Reasons = append(l.Reasons, fmt.Sprintf("%s of turnover %s is %s, above the fixed amount (the share is higher from a turnover of %s)", t.Percent(), *o.Turnover, l.Share, t.Crossover()))
			} else {
				l.Reasons = append(l.Reasons, fmt.Sprintf("%s of turnover %s is %s, not above the fixed amount (the share is higher only from a turnover of %s)", t.Percent(), *o.Turnover, l.Share, t.Crossover()))
			}
		}
		l.Maximum = max(l.Fixed, l.Share)
		if why := exemption(o, p); why != "" {
			l.Exempt, l.Maximum = why, 0
			l.Reasons = append(l.Reasons, why)
		}
		e.Maximum = max(e.Maximum, l.Maximum)
		e.Lines = append(e.Lines, l)
	}
	e.Notes = append(e.Notes,
		"a ceiling, not a fine: the amount is decided case by case, weighing the circumstances of Art. 64(5) (nature, gravity, duration and consequences; earlier fines for similar infringements; size and market share)",
		"Art. 64 sets a ceiling per infringement; whether the ceilings of several infringements add up is a matter for the Member State's rules under Art. 64(1)")
	if o.SizeClass == Micro || o.SizeClass == Small || o.SizeClass == Medium {
		e.Notes = append(e.Notes, "Art. 64(5)(c): the authority takes into account that the operator is a "+o.SizeClass+" enterprise")
	}
	return e, nil
}

// share is permille/1000 of turnover, rounded down to the cent: a ceiling is never overstated.
func share(turnover Euro, permille int64) Euro {
	v := new(big.Int).Mul(big.NewInt(int64(turnover)), big.NewInt(permille))
	v.Quo(v, big.NewInt(1000))
	return Euro(v.Int64())
}

// exemption applies Art. 64(10): stewards are not fined for any infringement ((b)); manufacturers
// that are micro or small enterprises are not fined for failing to meet the 24-hour early-warning
// deadline of Art. 14(2)(a) or 14(4)(a) ((a)).
func exemption(o Offender, p Provision) string {
	if o.Steward {
		return "Art. 64(10)(b): no administrative fine for any infringement by an open-source software steward"
	}
	if earlyWarning(p) && o.Manufacturer && (o.SizeClass == Micro || o.SizeClass == Small) {
		return "Art. 64(10)(a): no administrative fine on a manufacturer that is a " + o.SizeClass + " enterprise for failing to meet the 24-hour deadline of " + string(p)
	}
	return ""
}

func earlyWarning(p Provision) bool {
	q, err := p.parse()
	return err == nil && q.article == 14 && (q.paragraph == 2 || q.paragraph == 4) && q.point == "a"
}
