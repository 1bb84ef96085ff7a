package web

import (
	"slices"

	"github.com/siegel-oss/siegel/internal/catalog"
)

// labelVerdicts keeps the verdicts of the standards a label would be declared against (all of
// them when none are named). The conformity page shows every catalog's verdicts, CRA Annex I
// included, as GET /api/v1/releases/{id}/conformity does; whether a label can be issued is
// decided on the label's standards only.
func labelVerdicts(all []catalog.Verdict, standards []string) []catalog.Verdict {
	if len(standards) == 0 {
		return all
	}
	var out []catalog.Verdict
	for _, v := range all {
		if slices.Contains(standards, v.Standard) {
			out = append(out, v)
		}
	}
	return out
}
