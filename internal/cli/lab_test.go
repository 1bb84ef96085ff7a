package cli

import (
	"encoding/json"
	"github.com/siegel-oss/siegel/internal/lab"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/lab/labtest"
)

func TestLabRunUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no allow", []string{"lab", "run", "--target", "127.0.0.1"}, 2, "--allow is required"},
		{"no target", []string{"lab", "run", "--allow", "127.0.0.0/8"}, 2, "--target is required"},
		{"everything allowed", []string{"lab", "run", "--allow", "0.0.0.0/0", "--target", "127.0.0.1"}, 2, "covers every address"},
		{"target outside", []string{"lab", "run", "--allow", "10.0.0.0/8", "--target", "127.0.0.1"}, 1, "outside the allowed ranges"},
		{"bad ports", []string{"lab", "run", "--allow", "127.0.0.1", "--target", "127.0.0.1", "--ports", "80-70"}, 2, "--ports"},
		{"update flags without listen", []string{"lab", "run", "--allow", "127.0.0.1", "--target", "127.0.0.1", "--update-files", "."}, 2, "need --update-listen"},
		{"update versions", []string{"lab", "run", "--allow", "127.0.0.1", "--target", "127.0.0.1", "--update-listen", "127.0.0.1:0", "--update-versions", "1.0"}, 2, "CURRENT,NEXT"},
		{"update image missing", []string{"lab", "run", "--allow", "127.0.0.1", "--target", "127.0.0.1", "--update-listen", "127.0.0.1:0", "--update-versions", "1,2",
			"--update-files", "testdata/golden", "--update-image", "/no/such.bin"}, 2, "is not a file of --update-files"},
		{"update cert without TLS", []string{"lab", "run", "--allow", "127.0.0.1", "--target", "127.0.0.1", "--update-listen", "127.0.0.1:0", "--update-versions", "1,2",
			"--update-files", "testdata/golden", "--update-image", "x", "--update-cert", "c.pem", "--update-key", "k.pem"}, 2, "needs --update-tls"},
		{"bad fail-on", []string{"lab", "run", "--allow", "127.0.0.1", "--target", "127.0.0.1", "--fail-on", "tls13"}, 2, "not a check"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := invokeCLI(t, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Errorf("exit %d %q, want %d with %q", code, stderr, tc.code, tc.msg)
			}
		})
	}
}

// TestLabRunFailOn runs the command against a real web interface that takes admin/admin over
// HTTP basic authentication, and expects the policy exit and a JSON result with its digest.
func TestLabRunFailOn(t *testing.T) {
	port := strconv.Itoa(labtest.HTTPServer(t, "127.0.0.1", labtest.BasicAdmin("admin", "admin")))
	args := []string{"lab", "run", "--allow", "127.0.0.0/8", "--target", "127.0.0.1", "--ports", port, "--brute-force", "3", "--rate", "2000",
		"--format", "json", "--fail-on", "default-credentials"}
	for s, port := range labtest.ClosedUDPPorts(t, "dns", "ntp", "snmp", "ssdp", "mdns", "tftp") {
		args = append(args, "--udp-port", s+"="+strconv.Itoa(port))
	}
	code, stdout, stderr := invokeCLI(t, "", args...)
	if code != 3 || !strings.Contains(stderr, "failed checks default-credentials") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var r lab.Result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Schema != lab.Schema || r.TranscriptSHA256 != lab.Digest(r.Transcript) || len(r.Logins) != 1 || len(r.Logins[0].Accepted) == 0 || r.Logins[0].Accepted[0].User != "admin" {
		t.Errorf("result: schema %s, logins %+v", r.Schema, r.Logins)
	}
	// SARIF and text carry the failure too.
	format := slices.Index(args, "--format") + 1
	args[format] = "sarif"
	code, stdout, _ = invokeCLI(t, "", args...)
	if code != 3 || !strings.Contains(stdout, `"ruleId": "lab/default-credentials"`) || !strings.Contains(stdout, "etsi-en-303-645/5.1-1") {
		t.Errorf("sarif: exit %d\n%s", code, stdout)
	}
	args[format] = "text"
	code, stdout, _ = invokeCLI(t, "", args...)
	if code != 3 || !strings.Contains(stdout, "FAIL        default-credentials") || !strings.Contains(stdout, "ACCEPTED admin / admin") {
		t.Errorf("text: exit %d\n%s", code, stdout)
	}
}
