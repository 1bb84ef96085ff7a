package cli

import (
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
)

// TestServeTokenPush runs the server through the CLI on a real port, creates a token with
// 'siegel token create', creates a product and release over the API, uploads an SBOM with
// 'siegel push', and stops the server gracefully by cancelling its context (as SIGTERM does).
func TestServeTokenPush(t *testing.T) {
	data := t.TempDir()
	env := func(extra map[string]string) func(string) string {
		return func(k string) string { return extra[k] }
	}
	ctx, cancel := context.WithCancel(t.Context())
	url, first, done, stderr := startServe(t, ctx, "--data", data)
	if !strings.HasPrefix(first, "first run: log in as admin@localhost with password ") {
		t.Errorf("first-run line %q", first)
	}

	resp, err := http.Get(url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	if resp, _ := http.Get(url + "/api/v1/products"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API without a token: %d", resp.StatusCode)
	}

	var out, errOut bytes.Buffer
	if code := Run(t.Context(), []string{"token", "create", "--data", data, "--org", "ACME", "--role", "admin"}, nil, &out, &errOut, env(nil)); code != 0 {
		t.Fatalf("token create: %d %s", code, errOut.String())
	}
	token := strings.TrimSpace(out.String())
	if !strings.HasPrefix(token, "sgl_") {
		t.Fatalf("token %q", token)
	}
	call := func(method, path, body string, into any) int {
		req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if into != nil {
			json.NewDecoder(resp.Body).Decode(into)
		}
		return resp.StatusCode
	}
	var prod, rel struct{ ID int64 }
	if call("POST", "/api/v1/products", `{"name":"HomeRouter","craClass":"important-i"}`, &prod) != 201 {
		t.Fatal("create product")
	}
	if call("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", `{"version":"4.2.0","supportEnd":"2031-12"}`, &rel) != 201 {
		t.Fatal("create release")
	}
	sbomPath := filepath.Join(t.TempDir(), "app.cdx.json")
	os.WriteFile(sbomPath, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"lodash","version":"4.17.20","purl":"pkg:npm/lodash@4.17.20"}]}`), 0o644)
	out.Reset()
	errOut.Reset()
	pushEnv := env(map[string]string{"SIEGEL_SERVER": url, "SIEGEL_TOKEN": token})
	if code := Run(t.Context(), []string{"push", "--release", itoa(rel.ID), sbomPath}, nil, &out, &errOut, pushEnv); code != 0 {
		t.Fatalf("push: %d %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), `"components": 1`) {
		t.Errorf("push answer %s", out.String())
	}
	// Pushing again is a conflict, reported with the server's message and exit 1.
	errOut.Reset()
	if code := Run(t.Context(), []string{"push", "--release", itoa(rel.ID), sbomPath}, nil, io.Discard, &errOut, pushEnv); code != 1 || !strings.Contains(errOut.String(), "409") {
		t.Errorf("second push: %d %s", code, errOut.String())
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not shut down")
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestBackupRestore backs up a store, changes it, restores the backup and finds the old state.
func TestBackupRestore(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Run(t.Context(), args, nil, &out, &errOut, func(string) string { return "" })
		return code, out.String() + errOut.String()
	}
	if code, out := run("token", "create", "--data", data, "--org", "ACME", "--role", "admin"); code != 0 {
		t.Fatal(out)
	}
	backup := filepath.Join(t.TempDir(), "siegel.backup.sqlite")
	if code, out := run("backup", "--data", data, backup); code != 0 {
		t.Fatal(out)
	}
	if code, out := run("backup", "--data", data, backup); code != 1 || !strings.Contains(out, "exists") {
		t.Errorf("backup over an existing file: %d %s", code, out)
	}
	if code, out := run("token", "create", "--data", data, "--org", "Globex", "--role", "admin"); code != 0 {
		t.Fatal(out)
	}
	if code, out := run("backup", "restore", "--data", data, backup); code != 0 {
		t.Fatal(out)
	}
	st, err := openStore(t.Context(), &Env{Now: time.Now}, data, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.OrganizationByName(t.Context(), "ACME"); err != nil {
		t.Errorf("ACME after restore: %v", err)
	}
	if _, err := st.OrganizationByName(t.Context(), "Globex"); err == nil {
		t.Error("Globex, created after the backup, survived the restore")
	}
	notStore := filepath.Join(t.TempDir(), "x.sqlite")
	os.WriteFile(notStore, []byte("not a database"), 0o644)
	if code, out := run("backup", "restore", "--data", data, notStore); code != 1 || !strings.Contains(out, "not a Siegel store backup") {
		t.Errorf("restoring garbage: %d %s", code, out)
	}
}
