package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/lab"
	"github.com/siegel-oss/siegel/internal/lab/labtest"
	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// labRunAgainstWebAdmin runs the lab engine against a real web interface on loopback that takes
// admin/admin over HTTP basic authentication and never limits failures.
func labRunAgainstWebAdmin(t *testing.T) []byte {
	port := labtest.HTTPServer(t, "127.0.0.1", labtest.BasicAdmin("admin", "admin"))
	scope, _ := lab.ParseScope([]string{"127.0.0.0/8"})
	udp := labtest.ClosedUDPPorts(t, "dns", "ntp", "snmp", "ssdp", "mdns", "tftp")
	res, err := lab.Run(t.Context(), lab.Config{Target: "127.0.0.1", Scope: scope, Rate: 2000, TCPPorts: []int{port}, UDPPorts: udp,
		Credentials: []lab.Credential{{User: "admin", Password: "admin", Source: "mirai"}}, BruteForceAttempts: 4})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLabRunEvidence(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router", "craClass": "important-i"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json",
		jsonBody(map[string]string{"version": "4.2.0", "placedOnMarket": "2026-03-01", "supportEnd": "2031-12"}), &rel)
	e.do("PUT", "/api/v1/products/"+itoa(prod.ID)+"/facts", "acme-admin", "application/json", jsonBody(map[string]bool{"constrained-device": false}), nil)
	base := "/api/v1/releases/" + itoa(rel.ID)
	run := labRunAgainstWebAdmin(t)

	verdict := func(id string) app.VerdictView {
		var ev app.EvaluationView
		e.do("GET", base+"/conformity", "acme-admin", "", nil, &ev)
		for _, v := range ev.Verdicts {
			if v.Requirement == id {
				return v
			}
		}
		t.Fatalf("no verdict %s", id)
		return app.VerdictView{}
	}
	if v := verdict("etsi-en-303-645/5.1-5"); v.Result != "needs-attestation" {
		t.Fatalf("before the lab run: %s %s", v.Result, v.Reason)
	}

	if code := e.do("POST", base+"/lab-runs", "acme-ro", "application/json", run, nil); code != 403 {
		t.Errorf("read-only token: %d", code)
	}
	var tampered map[string]any
	json.Unmarshal(run, &tampered)
	tampered["transcript"] = tampered["transcript"].([]any)[1:]
	if code := e.do("POST", base+"/lab-runs", "acme-admin", "application/json", jsonBody(tampered), nil); code != 400 {
		t.Errorf("altered transcript: %d", code)
	}
	var got api.LabRunJSON
	if code := e.do("POST", base+"/lab-runs", "acme-admin", "application/json", run, &got); code != 201 || got.Failed == 0 || got.Target != "127.0.0.1" {
		t.Fatalf("record: %d %+v", code, got)
	}
	var list []api.LabRunJSON
	if code := e.do("GET", base+"/lab-runs", "acme-ro", "", nil, &list); code != 200 || len(list) != 1 || list[0].TranscriptSHA256 != got.TranscriptSHA256 {
		t.Errorf("list: %d %+v", code, list)
	}

	// The run decides: no brute-force limit and a default password fail, by tool evidence.
	for _, id := range []string{"etsi-en-303-645/5.1-5", "bsi-tr-03148/brute-force", "etsi-en-303-645/5.1-1", "bsi-tr-03148/initial-password"} {
		v := verdict(id)
		if v.Result != "fail" || !slices.ContainsFunc(v.Evidence, func(l catalog.Link) bool { return l.Kind == "lab" && l.Ref == "sha256:"+got.TranscriptSHA256 }) {
			t.Errorf("%s: %s %q %+v", id, v.Result, v.Reason, v.Evidence)
		}
	}
	// What the run did not test stays open: no WAN address was given.
	if v := verdict("bsi-tr-03148/dns"); v.Result != "needs-attestation" {
		t.Errorf("dns without a WAN side: %s %s", v.Result, v.Reason)
	}

	// The release's conformity page names the run the verdicts rest on.
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "lab@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	if code, _, _ := b.post("/login", url.Values{"email": {"lab@acme.example"}, "password": {"correct horse battery"}}); code != http.StatusSeeOther {
		t.Fatalf("login %d", code)
	}
	code, page, _ := b.get("/releases/" + itoa(rel.ID) + "/conformity")
	txt := text(t, page)
	if code != 200 || !strings.Contains(txt, "Lab evidence: run against 127.0.0.1") || !strings.Contains(txt, got.TranscriptSHA256) || !strings.Contains(txt, "lab runs recorded for this release: 1") {
		t.Errorf("conformity page %d:\n%s", code, txt)
	}
}
