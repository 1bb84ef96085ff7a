package lab

import "github.com/siegel-oss/siegel/internal/catalog"

// Evidence turns a run into the evidence the catalogs evaluate: its checks, cited by the
// transcript's digest.
func (r *Result) Evidence() *catalog.LabEvidence {
	ev := &catalog.LabEvidence{Ref: "sha256:" + r.TranscriptSHA256, Target: r.Target, At: r.Finished}
	for _, c := range r.Checks {
		ev.Checks = append(ev.Checks, catalog.LabCheck{ID: c.ID, Result: c.Result, Detail: c.Detail})
	}
	return ev
}
