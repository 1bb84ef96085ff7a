package cli

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/lab"

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

// TestLabRunUpdateServer makes the command the update server of a device that checks every few
// milliseconds over plain HTTP and installs whatever it gets: the altered image is installed,
// so update-authenticity fails, and JSON, SARIF and text say so.
func TestLabRunUpdateServer(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "d1"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "d1", "check"), []byte("version 2.0\nimage /d1/fw.bin\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "d1", "fw.bin"), []byte(strings.Repeat("firmware 2.0 ", 100)), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()

	// The device: asks for the manifest with its version, fetches a newer image, installs it.
	// Each run gets a device fresh from the factory.
	device := func() (stop func()) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			version := "1.0"
			get := func(path string) string {
				resp, err := http.Get("http://" + listen + path)
				if err != nil {
					return ""
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return string(b)
			}
			for ctx.Err() == nil {
				if m := get("/d1/check?current=" + version); strings.HasPrefix(m, "version 2.0") && version != "2.0" && get("/d1/fw.bin") != "" {
					version = "2.0"
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		return func() { cancel(); <-done }
	}

	port := strconv.Itoa(labtest.HTTPServer(t, "127.0.0.1", labtest.BasicAdmin("admin", "admin")))
	args := []string{"lab", "run", "--allow", "127.0.0.0/8", "--target", "127.0.0.1", "--ports", port, "--brute-force", "0", "--rate", "2000",
		"--update-listen", listen, "--update-files", dir, "--update-image", "/d1/fw.bin", "--update-versions", "1.0,2.0", "--update-watch", "20s",
		"--format", "json", "--fail-on", "update-authenticity"}
	for s, port := range labtest.ClosedUDPPorts(t, "dns", "ntp", "snmp", "ssdp", "mdns", "tftp") {
		args = append(args, "--udp-port", s+"="+strconv.Itoa(port))
	}
	stop := device()
	code, stdout, stderr := invokeCLI(t, "", args...)
	stop()
	if code != 3 || !strings.Contains(stderr, "failed checks update-authenticity") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var r lab.Result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Update == nil || r.Update.Tampered != lab.UpdateInstalled || r.Update.TLS || r.TranscriptSHA256 != lab.Digest(r.Transcript) {
		t.Errorf("update result %+v", r.Update)
	}
	format := slices.Index(args, "--format") + 1
	args[format] = "sarif"
	stop = device()
	code, stdout, _ = invokeCLI(t, "", args...)
	stop()
	if code != 3 || !strings.Contains(stdout, `"ruleId": "lab/update-channel"`) || !strings.Contains(stdout, "etsi-en-303-645/5.3-10") {
		t.Errorf("sarif: exit %d\n%s", code, stdout)
	}
}
