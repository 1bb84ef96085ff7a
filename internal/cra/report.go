package cra

import (
	"strings"
	"time"
)

// Subject is what a report is about, as the records show it.
type Subject struct {
	Case          int64
	Type          string
	Manufacturer  string
	Product       string
	Releases      []string // versions concerned
	Vulnerability string
	Aliases       []string
	Severity      string
	Score         float64
	Summary       string
	Evidence      string
	Packages      []string // purls concerned
	FixedVersions []string
	UserActions   []string // from the triage (VEX "affected" action statements)
	AwareAt       time.Time
	FixAvailable  time.Time
}

// Report is the draft of one stage: the content Art. 14 asks for, filled from the records, and
// the items the manufacturer must complete before submitting (Missing).
type Report struct {
	Case          int64     `json:"case"`
	Stage         string    `json:"stage"`
	Type          string    `json:"type"`
	Basis         string    `json:"basis"`
	Deadline      time.Time `json:"deadline,omitzero"`
	Manufacturer  string    `json:"manufacturer"`
	Product       string    `json:"product"`
	Releases      []string  `json:"releases,omitempty"`
	Vulnerability string    `json:"vulnerability,omitempty"`
	Aliases       []string  `json:"aliases,omitempty"`
	Severity      string    `json:"severity,omitempty"`
	Score         float64   `json:"score,omitempty"`
	Nature        string    `json:"nature,omitempty"`
	Evidence      string    `json:"exploitationEvidence,omitempty"`
	AwareAt       time.Time `json:"awareAt"`
	// Content the manufacturer completes; the draft names what is missing.
	MemberStates       []string `json:"memberStates"`
	MeasuresTaken      []string `json:"measuresTaken,omitempty"`
	UserMeasures       []string `json:"userMeasures,omitempty"`
	Sensitivity        string   `json:"sensitivity,omitempty"`
	SecurityUpdate     []string `json:"securityUpdate,omitempty"`
	MaliciousActor     string   `json:"maliciousActor,omitempty"`
	RootCause          string   `json:"rootCause,omitempty"`
	SuspectedMalicious *bool    `json:"suspectedMalicious,omitempty"`
	Missing            []string `json:"missing,omitempty"`
}

// Draft fills the report of a stage from the records. What Art. 14 asks for per stage:
//   - exploited vulnerability, (2)(a) early warning: the Member States where the product is
//     made available; (2)(b) notification: the product, the general nature of the exploit and of
//     the vulnerability, corrective or mitigating measures taken and those users can take, and how
//     sensitive the information is; (2)(c) final report: a description of the vulnerability with
//     its severity and impact, information on a malicious actor where available, and the security
//     update or other measures made available;
//   - severe incident, (4)(a) early warning: whether unlawful or malicious acts are suspected and
//     the Member States; (4)(b) notification: the nature of the incident, an initial assessment,
//     measures taken and measures users can take, sensitivity; (4)(c) final report: a detailed
//     description with severity and impact, the type of threat or root cause, mitigation applied
//     and ongoing.
func Draft(stage string, s Subject, d Deadline) Report {
	r := Report{Case: s.Case, Stage: stage, Type: s.Type, Basis: d.Basis, Deadline: d.Legal, Manufacturer: s.Manufacturer, Product: s.Product,
		Releases: s.Releases, AwareAt: s.AwareAt, MemberStates: []string{}}
	r.Missing = append(r.Missing, "memberStates: the Member States where the product is made available")
	switch s.Type {
	case Exploited:
		r.Vulnerability, r.Aliases, r.Evidence = s.Vulnerability, s.Aliases, s.Evidence
		if stage == EarlyWarning {
			return r
		}
		r.Nature, r.Severity, r.Score = s.Summary, s.Severity, s.Score
		r.UserMeasures = s.UserActions
		if len(s.FixedVersions) > 0 {
			r.MeasuresTaken = []string{"fixed in " + join(s.FixedVersions) + " of the affected component(s): " + join(s.Packages)}
		}
		if len(r.UserMeasures) == 0 {
			r.Missing = append(r.Missing, "userMeasures: what users can do until they update")
		}
		r.Missing = append(r.Missing, "sensitivity: how sensitive the information is")
		if stage == FinalReport {
			r.SecurityUpdate = r.MeasuresTaken
			if len(r.SecurityUpdate) == 0 {
				r.Missing = append(r.Missing, "securityUpdate: the update or other corrective measure made available")
			}
			r.Missing = append(r.Missing, "maliciousActor: what is known of the actor exploiting it, where available")
		}
	case Incident:
		r.Nature = s.Summary
		if stage == EarlyWarning {
			r.Missing = append(r.Missing, "suspectedMalicious: whether unlawful or malicious acts are suspected")
			return r
		}
		r.Missing = append(r.Missing, "measuresTaken and userMeasures", "sensitivity: how sensitive the information is")
		if stage == FinalReport {
			r.Missing = append(r.Missing, "rootCause: the type of threat or root cause", "severity and impact")
		}
	}
	return r
}

func join(v []string) string { return strings.Join(v, ", ") }
