package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/firmware/fwtest"
)

// TestServeFirmwareJob: 'siegel serve' answers a firmware upload with 202 and a job, keeps the
// image in <data>/firmware only until its monitor has analysed it, and shows the job done with
// the analysis's URL; the server answers other requests meanwhile.
// startServe runs 'siegel serve' on a free port with the test feeds and the extra arguments, until
// ctx ends; it returns the server's URL, the line printed after it (the first run's login), the
// exit code once it stops, and what it logged.
func startServe(t testing.TB, ctx context.Context, args ...string) (url, next string, done <-chan int, stderr *bytes.Buffer) {
	t.Helper()
	pr, pw := io.Pipe()
	exit := make(chan int, 1)
	stderr = &bytes.Buffer{}
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--org", "ACME", "--db-source", "../vulndb/testdata/osv"}, args...)
	go func() {
		exit <- Run(ctx, args, strings.NewReader(""), pw, stderr, func(string) string { return "" })
		pw.Close()
	}()
	lines := bufio.NewReader(pr)
	line, err := lines.ReadString('\n')
	if err != nil {
		t.Fatalf("server did not start: %v\n%s", err, stderr.String())
	}
	next, _ = lines.ReadString('\n')
	go io.Copy(io.Discard, lines)
	return strings.TrimSpace(strings.TrimPrefix(line, "siegel serving on ")), next, exit, stderr
}

func TestServeFirmwareJob(t *testing.T) {
	data := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	url, _, done, stderr := startServe(t, ctx, "--data", data, "--firmware-workers", "1", "--firmware-memory", "64")
	var out bytes.Buffer
	if code := Run(t.Context(), []string{"token", "create", "--data", data, "--org", "ACME", "--role", "admin"}, nil, &out, io.Discard, func(string) string { return "" }); code != 0 {
		t.Fatal("token create")
	}
	token := strings.TrimSpace(out.String())
	call := func(method, path, contentType string, body []byte, into any) (int, http.Header) {
		req, _ := http.NewRequest(method, url+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if into != nil {
			json.NewDecoder(resp.Body).Decode(into)
		}
		return resp.StatusCode, resp.Header
	}
	var prod, rel struct{ ID int64 }
	call("POST", "/api/v1/products", "application/json", []byte(`{"name":"HomeRouter","craClass":"important-i"}`), &prod)
	call("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "application/json", []byte(`{"version":"4.2.0","supportEnd":"2031-12"}`), &rel)
	image := fwtest.CPIO(map[string]string{"etc/passwd": "root:x:0:0:root:/root:/bin/ash\n", "etc/shadow": "root::19000:0:99999:7:::\n",
		"etc/inittab": "::respawn:/usr/sbin/telnetd -F -l /bin/login\n"}, nil)
	var queued struct {
		Job    int64
		Status string
	}
	code, h := call("POST", "/api/v1/releases/"+itoa(rel.ID)+"/firmware?name=router.bin", "application/octet-stream", image, &queued)
	if code != http.StatusAccepted || h.Get("Location") != queued.Status || queued.Status == "" {
		t.Fatalf("upload: %d %+v %v", code, queued, h)
	}
	var job struct {
		State, Error, Analysis string
	}
	deadline := time.Now().Add(time.Minute) // a guard against hanging, not a measurement
	for job.State != "done" && job.State != "failed" {
		if time.Now().After(deadline) {
			t.Fatalf("job never finished: %+v\n%s", job, stderr.String())
		}
		if code, _ := call("GET", "/healthz", "", nil, nil); code != 200 {
			t.Errorf("healthz while analysing: %d", code)
		}
		time.Sleep(50 * time.Millisecond)
		call("GET", queued.Status, "", nil, &job)
	}
	if job.State != "done" || job.Analysis == "" {
		t.Fatalf("job: %+v", job)
	}
	var fw struct {
		Weaknesses []struct{ Rule string }
	}
	call("GET", job.Analysis, "", nil, &fw)
	rules := map[string]bool{}
	for _, w := range fw.Weaknesses {
		rules[w.Rule] = true
	}
	if !rules["weak-credentials"] || !rules["telnet"] {
		t.Errorf("weaknesses %+v, want an empty root password and telnet", fw.Weaknesses)
	}
	if left, _ := os.ReadDir(filepath.Join(data, "firmware")); len(left) != 0 {
		t.Errorf("images left in the firmware directory: %v", left)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d: %s", code, stderr.String())
	}
}
