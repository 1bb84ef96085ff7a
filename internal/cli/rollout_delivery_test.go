package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRolloutCommands runs the rollout commands against one store: a repository with a 2-of-2
// root, publications, enrollment, a plan refused above its exposure limit (exit 3), one
// accepted, its status, a pause and a resume, and an agent's first step.
func TestRolloutCommands(t *testing.T) {
	data, keys := t.TempDir(), t.TempDir()
	env := func(string) string { return "" }
	run := func(stdin string, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Run(t.Context(), args, strings.NewReader(stdin), &out, &errOut, env)
		return code, out.String() + errOut.String()
	}
	if code, out := run("", "token", "create", "--data", data, "--org", "ACME", "--role", "admin"); code != 0 {
		t.Fatal(out)
	}
	st, err := openStore(t.Context(), &Env{Now: time.Now}, data, "")
	if err != nil {
		t.Fatal(err)
	}
	org, _ := st.OrganizationByName(t.Context(), "ACME")
	if _, err := st.CreateProduct(t.Context(), org.ID, "HomeRouter", "router", "important-i"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	base := []string{"--data", data, "--org", "ACME"}
	k := func(n string) string { return filepath.Join(keys, n) }
	rootOut := k("root.json")
	code, out := run("", append([]string{"rollout", "init", "--product", "HomeRouter", "--root-key", k("r1.pem") + "," + k("r2.pem"), "--threshold", "2",
		"--targets-key", k("t.pem"), "--create", "--root-out", rootOut}, base...)...)
	if code != 0 {
		t.Fatalf("init: %s", out)
	}
	root, _ := os.ReadFile(rootOut)
	if !bytes.Contains(root, []byte(`"threshold":2`)) {
		t.Errorf("root metadata: %s", root)
	}
	img := filepath.Join(keys, "fw.bin")
	os.WriteFile(img, []byte("firmware 1.1.0"), 0o600)
	for _, v := range []string{"1.0.0", "1.1.0"} {
		code, out = run("", append([]string{"rollout", "publish", "--product", "HomeRouter", "--targets-key", k("t.pem"), "--version", v, "--hardware-class", "hr-2", img}, base...)...)
		if code != 0 || !strings.Contains(out, `"target": "hr-2/`+v+`/fw.bin"`) {
			t.Fatalf("publish %s: %d %s", v, code, out)
		}
	}
	var csv strings.Builder
	for i := range 50 {
		csv.WriteString("dev-" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ",hr-2,eu,1.0.0\n")
	}
	code, out = run(csv.String(), append([]string{"rollout", "devices", "--product", "HomeRouter", "--enroll", "-"}, base...)...)
	if code != 0 || strings.Count(out, "sgd_") != 50 {
		t.Fatalf("enroll: %d %s", code, out)
	}
	code, out = run("", append([]string{"rollout", "plan", "--product", "HomeRouter", "--version", "1.1.0", "--waves", "10,50%"}, base...)...)
	if code != ExitPolicy || !strings.Contains(out, "exposure bound") {
		t.Fatalf("plan above the default limit (0 devices for a fleet of 50): %d %s", code, out)
	}
	code, out = run("", append([]string{"rollout", "plan", "--product", "HomeRouter", "--version", "1.1.0", "--waves", "50", "--exposure-limit", "50"}, base...)...)
	if code != 0 || !strings.Contains(out, "rollout 1: version 1.1.0 to 50 devices") {
		t.Fatalf("plan: %d %s", code, out)
	}
	code, out = run("", append([]string{"rollout", "status", "1"}, base...)...)
	if code != 0 || !strings.Contains(out, "running") || !strings.Contains(out, "1     50    50") {
		t.Errorf("status: %d %s", code, out)
	}
	if code, out := run("", append([]string{"rollout", "pause", "--reason", "hotline calls", "1"}, base...)...); code != 0 || !strings.Contains(out, "paused") {
		t.Errorf("pause: %d %s", code, out)
	}
	if code, out := run("", append([]string{"rollout", "resume", "1"}, base...)...); code != ExitUsage {
		t.Errorf("resume without a reason: %d %s", code, out)
	}
	if code, out := run("", append([]string{"rollout", "resume", "--reason", "false alarm", "1"}, base...)...); code != 0 || !strings.Contains(out, "running") {
		t.Errorf("resume: %d %s", code, out)
	}
}
