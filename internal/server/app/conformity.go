package app

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/conformity"
	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/server/httpjson"
)

// ConformityOff answers 503 when there is no conformity service (the catalogs did not load).
func (s *Deps) ConformityOff(w http.ResponseWriter) bool {
	if s.Conformity == nil {
		httpjson.Error(w, http.StatusServiceUnavailable, "conformity evaluation is unavailable: the requirement catalogs did not load (see the server log)")
		return true
	}
	return false
}

// VerdictView is the verdict on one requirement, as the API and the pages show it.
type VerdictView struct {
	Requirement string         `json:"requirement"`
	Standard    string         `json:"standard"`
	Reference   string         `json:"reference"`
	Title       string         `json:"title"`
	Status      string         `json:"status"`
	Mandatory   bool           `json:"mandatory"`
	Result      string         `json:"result"`
	Reason      string         `json:"reason"`
	Attested    bool           `json:"attested"`
	Evidence    []catalog.Link `json:"evidence"`
	Related     []string       `json:"related,omitempty"`
	// Unverified: the reference could not be checked against the standard's published text.
	Unverified bool `json:"unverified,omitempty"`
	// Document names the document an attestation of the requirement must carry.
	Document string `json:"document,omitempty"`
}

// EvaluationView is a release's conformity evaluation, as the API and the pages show it.
type EvaluationView struct {
	Release   int64         `json:"release"`
	Standards []string      `json:"standards"`
	Route     catalog.Route `json:"route"`
	Plausible bool          `json:"plausible"`
	Unmet     []string      `json:"unmet"`
	Counts    label.Counts  `json:"counts"`
	Verdicts  []VerdictView `json:"verdicts"`
}

// ViewEvaluation is the view of an evaluation, with each requirement's title from the catalog.
func (s *Deps) ViewEvaluation(e *conformity.Evaluation) EvaluationView {
	out := EvaluationView{Release: e.Release.ID, Standards: e.Standards, Route: e.Route, Plausible: e.Plausible, Unmet: e.Unmet, Verdicts: []VerdictView{}}
	if out.Unmet == nil {
		out.Unmet = []string{}
	}
	if out.Standards == nil {
		out.Standards = []string{}
	}
	for _, v := range e.Verdicts {
		vj := VerdictView{Requirement: v.Requirement, Standard: v.Standard, Reference: v.Reference, Status: v.Status, Mandatory: v.Mandatory,
			Result: v.Result, Reason: v.Reason, Attested: v.Attested, Evidence: v.Evidence, Unverified: v.Unverified}
		if req := s.Conformity.Catalog.Requirement(v.Requirement); req != nil {
			vj.Title, vj.Related, vj.Document = req.Title, req.Related, req.Document
		}
		if vj.Evidence == nil {
			vj.Evidence = []catalog.Link{}
		}
		switch v.Result {
		case catalog.Pass:
			out.Counts.Pass++
		case catalog.Fail:
			out.Counts.Fail++
		case catalog.NeedsAttestation:
			out.Counts.NeedsAttestation++
		case catalog.NotApplicable:
			out.Counts.NotApplicable++
		}
		out.Verdicts = append(out.Verdicts, vj)
	}
	return out
}
