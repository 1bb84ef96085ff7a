package catalog

import (
	"fmt"
	"strings"
	"time"
)

// LabEvidence is the result of a lab run against a device running the release (internal/lab):
// the conclusions it drew, each pass, fail or not-tested, and the digest of the transcript of
// every probe they rest on.
type LabEvidence struct {
	Ref    string // "sha256:<transcript digest>", or a store id
	Target string
	At     time.Time
	Checks []LabCheck
}

// LabCheck is one conclusion of a lab run (internal/lab check ids: default-credentials,
// brute-force, telnet, tls, wan-services, ...).
type LabCheck struct {
	ID     string
	Result string // pass, fail, not-tested
	Detail string
}

// labCheck decides by the lab checks the requirement names in its "lab-checks" parameter
// (comma-separated): any failed check fails; all passed passes; a check not tested, or no lab
// run, needs the evidence a lab run would give, or an attestation.
func labCheck(r *Requirement, ev *Evidence, _ time.Time) outcome {
	ids := strings.Split(r.Params["lab-checks"], ",")
	if ev.Lab == nil {
		return outcome{result: NeedsAttestation, reason: "no lab run recorded, so " + strings.Join(ids, ", ") + " was not observed on the device"}
	}
	link := Link{Kind: "lab", Ref: ev.Lab.Ref}
	var failed, passed, open []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		var found *LabCheck
		for i := range ev.Lab.Checks {
			if ev.Lab.Checks[i].ID == id {
				found = &ev.Lab.Checks[i]
			}
		}
		switch {
		case found == nil:
			open = append(open, id+": not in the lab run")
		case found.Result == "fail":
			failed = append(failed, id+": "+found.Detail)
		case found.Result == "pass":
			passed = append(passed, id+": "+found.Detail)
		default:
			open = append(open, id+": not tested ("+found.Detail+")")
		}
	}
	links := []Link{link}
	if len(failed) == 0 && len(passed) == 0 {
		links = nil // the run saw nothing of this: it is no evidence for it
	}
	switch {
	case len(failed) > 0:
		return outcome{result: Fail, reason: "lab run " + shortRef(ev.Lab.Ref) + " failed " + strings.Join(failed, "; "), links: links}
	case len(open) > 0:
		return outcome{result: NeedsAttestation, reason: "lab run " + shortRef(ev.Lab.Ref) + " did not settle " + strings.Join(open, "; "), links: links}
	}
	return outcome{result: Pass, reason: fmt.Sprintf("lab run %s passed %s", shortRef(ev.Lab.Ref), strings.Join(passed, "; ")), links: links}
}

func shortRef(ref string) string {
	if len(ref) > 19 {
		return ref[:19] + "…"
	}
	return ref
}
