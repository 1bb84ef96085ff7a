package server

import (
	"slices"
	"testing"

	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/lab/labtest"
	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// labDevice starts a device on loopback (a web interface that takes admin/admin over HTTP basic
// authentication and never limits failures) and returns the request that tests it: its TCP port
// only, and its UDP services on loopback ports where nothing answers.
func labDevice(t *testing.T) map[string]any {
	port := labtest.HTTPServer(t, "127.0.0.1", labtest.BasicAdmin("admin", "admin"))
	udp := labtest.ClosedUDPPorts(t, "dns", "ntp", "snmp", "ssdp", "mdns", "tftp", "natpmp", "dhcp", "dhcp-client")
	return map[string]any{"target": "127.0.0.1", "tcpPorts": []int{port}, "udpPorts": udp}
}

// TestLabJob: a server in the lab network runs the tests itself as a job of the lab lane and
// stores the result as the release's lab run, which then decides verdicts; without --lab-allow,
// or for a target outside it, nothing is queued.
func TestLabJob(t *testing.T) {
	req := labDevice(t)

	none := newEnv(t)
	_, relID := none.newRelease("HomeRouter", "router")
	var refusal struct{ Error string }
	if code := none.do("POST", "/api/v1/releases/"+itoa(relID)+"/lab-runs/jobs", "acme-admin", "application/json", jsonBody(req), &refusal); code != 409 || refusal.Error == "" {
		t.Errorf("server without a lab network: %d %q", code, refusal.Error)
	}

	e := newEnv(t, func(c *Config) { c.LabAllow = []string{"127.0.0.0/8"} })
	_, relID = e.newRelease("HomeRouter", "router")
	base := "/api/v1/releases/" + itoa(relID)
	e.do("PUT", "/api/v1/products/1/facts", "acme-admin", "application/json", jsonBody(map[string]bool{"constrained-device": false}), nil)
	for _, tc := range []struct {
		name, who string
		body      any
		want      int
	}{
		{"read-only token", "acme-ro", req, 403},
		{"other organization", "globex-admin", req, 404},
		{"target outside the lab", "acme-admin", map[string]any{"target": "192.0.2.1"}, 400},
		{"WAN target outside the lab", "acme-admin", map[string]any{"target": "127.0.0.1", "wanTargets": []string{"198.51.100.1"}}, 400},
		{"no target", "acme-admin", map[string]any{"wanTargets": []string{"127.0.0.2"}}, 400},
		{"bad port", "acme-admin", map[string]any{"target": "127.0.0.1", "tcpPorts": []int{0}}, 400},
		{"unknown field", "acme-admin", map[string]any{"target": "127.0.0.1", "allow": "0.0.0.0/0"}, 400},
	} {
		if code := e.do("POST", base+"/lab-runs/jobs", tc.who, "application/json", jsonBody(tc.body), nil); code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
	}
	var list []api.LabRunJSON
	if e.do("GET", base+"/lab-runs", "acme-admin", "", nil, &list); len(list) != 0 {
		t.Fatalf("refused requests stored runs: %+v", list)
	}

	var queued struct {
		Job    int64
		State  string
		Status string
	}
	if code := e.do("POST", base+"/lab-runs/jobs", "acme-admin", "application/json", jsonBody(req), &queued); code != 202 || queued.State != "queued" {
		t.Fatalf("start: %d %+v", code, queued)
	}
	var job app.JobStatus
	if e.do("GET", queued.Status, "acme-admin", "", nil, &job); job.Kind != "lab-run" || job.State != "queued" || job.Target != "127.0.0.1" || job.Release != relID {
		t.Fatalf("queued job: %+v", job)
	}
	if code := e.do("GET", queued.Status, "globex-admin", "", nil, nil); code != 404 {
		t.Errorf("other organization follows the job: %d", code)
	}
	e.drain()
	if e.do("GET", queued.Status, "acme-ro", "", nil, &job); job.State != "done" || job.LabRun == 0 {
		t.Fatalf("finished job: %+v", job)
	}
	e.do("GET", base+"/lab-runs", "acme-admin", "", nil, &list)
	if len(list) != 1 || list[0].ID != job.LabRun || list[0].Failed == 0 || len(list[0].TranscriptSHA256) != 64 {
		t.Fatalf("stored runs: %+v", list)
	}

	// The run is evidence like an uploaded one: the default password and the missing limit fail.
	var ev app.EvaluationView
	e.do("GET", base+"/conformity", "acme-admin", "", nil, &ev)
	for _, id := range []string{"etsi-en-303-645/5.1-1", "etsi-en-303-645/5.1-5", "bsi-tr-03148/brute-force"} {
		i := slices.IndexFunc(ev.Verdicts, func(v app.VerdictView) bool { return v.Requirement == id })
		if i < 0 || ev.Verdicts[i].Result != "fail" || !slices.ContainsFunc(ev.Verdicts[i].Evidence, func(l catalog.Link) bool { return l.Kind == "lab" }) {
			t.Errorf("%s after the server's lab run: %+v", id, ev.Verdicts[i])
		}
	}
}
