package authority

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/calendar"
)

// Kinds of Chapter V procedure.
const (
	SignificantRisk     = "art54" // product presenting a significant cybersecurity risk
	UnionSafeguard      = "art55" // Union safeguard procedure after an objection
	FormalNonCompliance = "art58" // formal non-compliance
	Sweep               = "art60" // simultaneous coordinated control action
)

// States of a procedure.
const (
	Evaluating          = "evaluating"           // Art. 54(1): evaluation of the product
	CorrectiveAction    = "corrective-action"    // Art. 54(2) / 58(1): the operator must act by a deadline
	ProvisionalMeasures = "provisional-measures" // Art. 54(5): measures taken and notified
	DeemedJustified     = "deemed-justified"     // Art. 54(8): no objection within three months
	Objected            = "objected"             // Art. 55(1): objection raised, the Commission evaluates
	Justified           = "justified"            // Art. 55(1)-(2): the Commission found the measure justified
	NotJustified        = "not-justified"        // Art. 55(2): the measure is withdrawn
	RestrictionMeasures = "restriction-measures" // Art. 58(2): the non-compliance persists
	Closed              = "closed"               // compliant, or the corrective action was taken
)

// Event is one recorded step of a procedure. Only the fields its action needs are set.
type Event struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	// Due is the period the authority prescribes for corrective action (Art. 54(2), 58(1)).
	Due    time.Time `json:"due,omitzero"`
	Reason string    `json:"reason,omitempty"`
	By     string    `json:"by,omitempty"`
}

// Actions.
const (
	ActOpen         = "open"
	ActNonCompliant = "non-compliant"        // finding: require corrective action by Due
	ActCompliant    = "compliant"            // evaluation found no non-compliance: close
	ActCorrected    = "corrected"            // the operator took the corrective action: close
	ActProvisional  = "provisional-measures" // measures taken and notified to the Commission and Member States
	ActObjection    = "objection"            // a Member State or the Commission objects (Art. 55(1))
	ActDecision     = "decision"             // the Commission decides: Reason "justified" or "not justified"
	ActPersists     = "persists"             // Art. 58(2): non-compliance persists after the deadline
)

// Procedure is an authority's case under Chapter V.
type Procedure struct {
	Kind    string
	Product string
	Events  []Event
	// Checklist is the Art. 58(1) checklist for a formal non-compliance procedure.
	Checklist []Check
}

// Clock is one running or elapsed period of a procedure.
type Clock struct {
	Name    string    `json:"name"`
	Basis   string    `json:"basis"`
	Ends    time.Time `json:"ends"`
	Elapsed bool      `json:"elapsed"` // now is past Ends
	Met     string    `json:"met,omitempty"`
}

// Status is a procedure's state and clocks at an instant.
type Status struct {
	State  string
	Clocks []Clock
	// Next says what the authority may or must do next.
	Next string
}

// transitions: from state, action -> state.
var transitions = map[string]map[string]string{
	"":                  {ActOpen: Evaluating},
	Evaluating:          {ActNonCompliant: CorrectiveAction, ActCompliant: Closed},
	CorrectiveAction:    {ActCorrected: Closed, ActProvisional: ProvisionalMeasures, ActPersists: RestrictionMeasures},
	ProvisionalMeasures: {ActObjection: Objected},
	Objected:            {ActDecision: ""},
}

// State replays the events of p and checks each is allowed where it comes, and that times do not
// run backwards.
func (p Procedure) State() (string, error) {
	switch p.Kind {
	case SignificantRisk, FormalNonCompliance:
	default:
		return "", fmt.Errorf("procedure kind %q: choose %s or %s (an Art. 55 procedure follows an objection within an Art. 54 one)", p.Kind, SignificantRisk, FormalNonCompliance)
	}
	state := ""
	var last time.Time
	for i, e := range p.Events {
		if e.At.IsZero() {
			return "", fmt.Errorf("event %d (%s): the time is required", i+1, e.Action)
		}
		if e.At.Before(last) {
			return "", fmt.Errorf("event %d (%s): %s is before the event before it", i+1, e.Action, e.At.UTC().Format(time.RFC3339))
		}
		last = e.At
		next, ok := transitions[state][e.Action]
		if state == ProvisionalMeasures && e.Action == ActObjection && p.Kind != SignificantRisk {
			ok = false
		}
		if p.Kind == FormalNonCompliance && e.Action == ActProvisional {
			ok = false
		}
		if p.Kind == SignificantRisk && e.Action == ActPersists {
			ok = false
		}
		if !ok {
			return "", fmt.Errorf("event %d: %q is not allowed in state %q of an %s procedure", i+1, e.Action, stateName(state), p.Kind)
		}
		switch e.Action {
		case ActNonCompliant:
			if !e.Due.After(e.At) {
				return "", fmt.Errorf("event %d: corrective action needs a period that ends after the finding (Art. 54(2), 58(1))", i+1)
			}
		case ActDecision:
			switch strings.ToLower(e.Reason) {
			case "justified":
				next = Justified
			case "not justified", "not-justified":
				next = NotJustified
			default:
				return "", fmt.Errorf("event %d: the Commission's decision is \"justified\" or \"not justified\" (Art. 55(1))", i+1)
			}
		case ActProvisional:
			if e.Reason == "" {
				return "", fmt.Errorf("event %d: provisional measures need the measures taken as reason (Art. 54(5))", i+1)
			}
		}
		if (e.Action == ActCorrected || e.Action == ActCompliant) && e.Reason == "" {
			return "", fmt.Errorf("event %d: closing a procedure needs a reason", i+1)
		}
		state = next
	}
	return state, nil
}

func stateName(s string) string {
	if s == "" {
		return "not opened"
	}
	return s
}

func (p Procedure) find(action string) (Event, bool) {
	i := slices.IndexFunc(p.Events, func(e Event) bool { return e.Action == action })
	if i < 0 {
		return Event{}, false
	}
	return p.Events[i], true
}

// StatusAt computes the state and the clocks at now, counting months in cal (Reg. 1182/71:
// a period in months ends with the expiry of the day of the last month that has the same date as
// the event, extended past a public holiday or weekend under Art. 3(4)).
func (p Procedure) StatusAt(cal *calendar.Calendar, now time.Time) (Status, error) {
	if cal == nil {
		return Status{}, errors.New("procedure clocks: a calendar is required")
	}
	state, err := p.State()
	if err != nil {
		return Status{}, err
	}
	s := Status{State: state}
	if nc, ok := p.find(ActNonCompliant); ok {
		met := ""
		if c, ok := p.find(ActCorrected); ok {
			met = "corrected " + c.At.UTC().Format(time.RFC3339)
			if c.At.After(nc.Due) {
				met += ", after the period"
			}
		}
		basis := "Art. 54(2): corrective action within the period the authority prescribes"
		if p.Kind == FormalNonCompliance {
			basis = "Art. 58(1): the manufacturer puts an end to the non-compliance within the period set"
		}
		s.Clocks = append(s.Clocks, Clock{Name: "corrective action", Basis: basis, Ends: nc.Due, Elapsed: now.After(nc.Due), Met: met})
	}
	if pm, ok := p.find(ActProvisional); ok {
		objection := cal.Months(pm.At, 3)
		met := ""
		if o, ok := p.find(ActObjection); ok {
			if o.At.After(objection.Legal) {
				return s, fmt.Errorf("objection at %s came after the three-month window ended %s: the measure was already deemed justified (Art. 54(8))", o.At.UTC().Format(time.RFC3339), objection.Legal.UTC().Format(time.RFC3339))
			}
			met = "objection " + o.At.UTC().Format(time.RFC3339)
		}
		s.Clocks = append(s.Clocks, Clock{Name: "objection window", Basis: "Art. 54(8) and 55(1): three months from the notification of Art. 54(5)", Ends: objection.Legal, Elapsed: now.After(objection.Legal), Met: met})
		if state == ProvisionalMeasures && now.After(objection.Legal) {
			s.State = DeemedJustified
		}
		if _, ok := p.find(ActObjection); ok {
			decision := cal.Months(pm.At, 9)
			met := ""
			if d, ok := p.find(ActDecision); ok {
				met = "decided " + d.At.UTC().Format(time.RFC3339) + ": " + d.Reason
			}
			s.Clocks = append(s.Clocks, Clock{Name: "Commission decision", Basis: "Art. 55(1): the Commission decides within nine months of the notification of Art. 54(5)", Ends: decision.Legal, Elapsed: now.After(decision.Legal), Met: met})
		}
	}
	s.Next = next(p.Kind, s)
	return s, nil
}

func next(kind string, s Status) string {
	switch s.State {
	case Evaluating:
		if kind == FormalNonCompliance {
			return "record the findings of the Art. 58(1) checklist and the period to put an end to them"
		}
		return "evaluate the product's compliance with the requirements (Art. 54(1)); record a finding"
	case CorrectiveAction:
		for _, c := range s.Clocks {
			if c.Name == "corrective action" && c.Elapsed {
				if kind == FormalNonCompliance {
					return "the period has passed: if the non-compliance persists, restrict or prohibit the product (Art. 58(2))"
				}
				return "the period has passed: if the operator did not act, take provisional measures and notify the Commission and the other Member States (Art. 54(5))"
			}
		}
		return "wait for the operator's corrective action until the end of the period"
	case ProvisionalMeasures:
		return "the objection window runs; without an objection the measure is deemed justified (Art. 54(8))"
	case DeemedJustified, Justified:
		return "Member States ensure restrictive measures are taken without delay (Art. 54(9), 55(2))"
	case Objected:
		return "the Commission consults and decides (Art. 55(1))"
	case NotJustified:
		return "withdraw the measure (Art. 55(2))"
	case RestrictionMeasures:
		return "restrict or prohibit the product being made available, or ensure it is recalled or withdrawn (Art. 58(2))"
	}
	return ""
}

// Check is one item of the Art. 58(1) formal non-compliance checklist, filled from the
// manufacturer's data.
type Check struct {
	Item    string
	Basis   string
	OK      bool
	Known   bool // false when the data to decide is missing: never counted as compliant
	Finding string
}

// ReleaseFacts are what the checklist reads of a release.
type ReleaseFacts struct {
	CEMarking            *bool
	DeclarationDrawnUp   *bool
	NotifiedBodyRequired bool
	// NotifiedBodyUndetermined: whether the route needs a notified body depends on a fact not
	// recorded (an important product of class I that applied harmonised standards in full may
	// self-assess, Art. 32(2)); without a number the item is then unknown, not passed.
	NotifiedBodyUndetermined bool
	NotifiedBodyNumber       string
	TechnicalDocs            *bool
	SBOM                     bool
	SupportEnd               string
	DisclosureContact        string
}

// Checklist fills the Art. 58(1) checklist from a release's facts. An unknown fact gives an item
// that is neither passed nor failed.
func Checklist(f ReleaseFacts) []Check {
	tri := func(item, basis string, v *bool, fail string) Check {
		c := Check{Item: item, Basis: basis}
		if v != nil {
			c.Known, c.OK = true, *v
			if !c.OK {
				c.Finding = fail
			}
		} else {
			c.Finding = "not recorded: ask the manufacturer"
		}
		return c
	}
	out := []Check{
		tri("CE marking", "Art. 58(1)(a)-(b), Art. 29 and 30", f.CEMarking, "the CE marking is not affixed"),
		tri("EU declaration of conformity", "Art. 58(1)(c)-(d), Art. 28 and Annex V", f.DeclarationDrawnUp, "the EU declaration of conformity has not been drawn up"),
	}
	nb := Check{Item: "notified body identification number", Basis: "Art. 58(1)(e), Art. 30", Known: true, OK: true}
	if f.NotifiedBodyRequired && f.NotifiedBodyNumber == "" {
		nb.OK, nb.Finding = false, "the conformity route needs a notified body, and its number is not recorded"
	} else if f.NotifiedBodyUndetermined && f.NotifiedBodyNumber == "" {
		nb.OK, nb.Known, nb.Finding = false, false, "no number recorded, and whether the route needs a notified body is not recorded (Art. 32(2)): ask the manufacturer"
	} else if !f.NotifiedBodyRequired && f.NotifiedBodyNumber == "" {
		nb.Finding = "not required for this conformity route"
	}
	out = append(out, nb)
	docs := tri("technical documentation", "Art. 58(1)(f), Art. 31 and Annex VII", f.TechnicalDocs, "the technical documentation is not available or not complete")
	if docs.Known && docs.OK && !f.SBOM {
		docs.OK, docs.Finding = false, "the technical documentation has no software bill of materials (Annex I Part II(1), Annex VII)"
	}
	out = append(out, docs)
	sp := Check{Item: "technical documentation: support period", Basis: "Art. 58(1)(f); Art. 13(8), Annex II(7)", Known: true, OK: f.SupportEnd != ""}
	if !sp.OK {
		sp.Finding = "no support period is stated"
	}
	vc := Check{Item: "technical documentation: vulnerability contact", Basis: "Art. 58(1)(f); Annex I Part II(5), Annex II(2)", Known: true, OK: f.DisclosureContact != ""}
	if !vc.OK {
		vc.Finding = "no single point of contact for vulnerability reports"
	}
	return append(out, sp, vc)
}
