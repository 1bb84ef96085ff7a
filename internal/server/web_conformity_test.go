package server

import (
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/server/app"
)

// TestWebConformityMatchesAPI: the conformity page shows the verdicts the API answers for the
// same release, CRA Annex I included (it once showed only the label's catalogs: 88 of 141),
// while the label is still declared against the category's catalogs.
func TestWebConformityMatchesAPI(t *testing.T) {
	e := newEnv(t)
	_, relID := e.newRelease("HomeRouter", "router")
	var ev app.EvaluationView
	if code := e.do("GET", "/api/v1/releases/"+itoa(relID)+"/conformity", "acme-admin", "", nil, &ev); code != 200 {
		t.Fatalf("API %d", code)
	}
	api := map[string]bool{}
	cra := 0
	for _, v := range ev.Verdicts {
		api[v.Requirement] = true
		if v.Standard == "cra" {
			cra++
		}
	}
	if cra == 0 {
		t.Fatal("the API shows no CRA verdict")
	}
	b := e.loggedIn(t, "psirt@acme.example", "psirt")
	code, page, _ := b.get("/releases/" + itoa(relID) + "/conformity")
	if code != 200 {
		t.Fatalf("page %d", code)
	}
	table := page[strings.Index(page, "<h2>Verdicts"):]
	web := map[string]bool{}
	for _, row := range strings.Split(table, `<tr id="`)[1:] {
		web[row[:strings.IndexByte(row, '"')]] = true
	}
	if len(web) != len(api) {
		t.Errorf("the page shows %d verdicts, the API %d", len(web), len(api))
	}
	for req := range api {
		if !web[req] {
			t.Errorf("the page leaves out %s", req)
		}
	}
	if !strings.Contains(text(t, page), "The label is declared against etsi-en-303-645") {
		t.Errorf("the page does not say which catalogs the label is declared against: %s", text(t, page))
	}
}
