package lab

import (
	"slices"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/catalog"
)

// TestCheckRequirementsMatchCatalogs: every check names requirements that exist and that name
// the check back through lab-check, and every lab-check names checks that exist.
func TestCheckRequirementsMatchCatalogs(t *testing.T) {
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	back := map[string][]string{} // requirement -> checks it names
	for _, r := range c.Requirements {
		if !slices.Contains(r.Evaluators, "lab-check") {
			continue
		}
		for _, id := range strings.Split(r.Params["lab-checks"], ",") {
			if _, ok := CheckRequirements[id]; !ok {
				t.Errorf("%s names lab check %q, which does not exist", r.ID, id)
			}
			back[r.ID] = append(back[r.ID], id)
		}
		if !slices.Contains(r.Evidence, "lab") {
			t.Errorf("%s is evaluated by lab checks but does not list lab evidence", r.ID)
		}
	}
	for id, reqs := range CheckRequirements {
		if checkTitles[id] == "" {
			t.Errorf("check %s has no title", id)
		}
		for _, req := range reqs {
			if c.Requirement(req) == nil {
				t.Errorf("check %s: no requirement %s", id, req)
			} else if !slices.Contains(back[req], id) {
				t.Errorf("check %s names %s, which does not name it back", id, req)
			}
		}
	}
}
