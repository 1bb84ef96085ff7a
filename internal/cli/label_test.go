package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/siegel-oss/siegel/internal/label"
)

// invokeLabel runs "siegel label ARGS..." through invokeCLI once the command is registered in
// the root; until then it dispatches to labelCommand the way Run does.
func invokeLabel(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if rootCommand().find("label") != nil {
		return invokeCLI(t, stdin, append([]string{"label"}, args...)...)
	}
	var out, errOut bytes.Buffer
	env := &Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" },
		Log:    slog.New(slog.DiscardHandler),
		Now:    func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) },
	}
	err := dispatch(context.Background(), env, labelCommand(), []string{"siegel", "label"}, args)
	return exitCode(env, err), out.String(), errOut.String()
}

func labelStatement() label.Statement {
	return label.Statement{
		Schema:       label.SchemaV1,
		LabelID:      "SGL-2026-000042",
		Sequence:     2,
		Status:       label.Suspended,
		Reason:       "support ended 2026-10",
		IssuedAt:     time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC),
		StatusSince:  time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Issuer:       label.Party{Name: "Siegel Issuing Service"},
		Manufacturer: label.Party{Name: "ACME Networks GmbH"},
		Product:      label.Product{Name: "ACME Router X1", Category: "router", CRAClass: "important-i"},
		Release:      label.Release{Version: "2.4.1", SupportEnd: "2026-10"},
		Catalogs:     []label.Catalog{{ID: "cra", Version: "2024/2847"}, {ID: "bsi-tr-03148", Version: "1.1"}},
		Verdicts: label.Verdicts{
			Counts:   label.Counts{Pass: 30, Fail: 1, NotApplicable: 4},
			Failed:   []string{"cra/support-period"},
			Attested: []string{"bsi-tr-03148/4.1"},
		},
		PageURL: "https://label.siegel.example/label/SGL-2026-000042",
	}
}

// labelFiles writes a signed statement, the signer's public key (PEM) and another key.
func labelFiles(t *testing.T) (dir, statement, pubFile, otherFile string, pub ed25519.PublicKey) {
	t.Helper()
	dir = t.TempDir()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	pub = key.Public().(ed25519.PublicKey)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{10}, 32)).Public().(ed25519.PublicKey)
	env, err := label.Sign(labelStatement(), key)
	if err != nil {
		t.Fatal(err)
	}
	statement = filepath.Join(dir, "statement.json")
	pubFile = filepath.Join(dir, "issuer.pub")
	otherFile = filepath.Join(dir, "other.pub")
	pubPEM, _ := label.MarshalPublicKey(pub)
	otherPEM, _ := label.MarshalPublicKey(other)
	for name, data := range map[string][]byte{statement: env, pubFile: pubPEM, otherFile: otherPEM} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, statement, pubFile, otherFile, pub
}

func TestLabelVerify(t *testing.T) {
	dir, statement, pubFile, otherFile, pub := labelFiles(t)

	code, out, errOut := invokeLabel(t, "", "verify", "--key", pubFile, statement)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"valid statement, signed by key " + label.KeyID(pub),
		"label     SGL-2026-000042 (statement 2)",
		"status    suspended since 2026-11-01T00:00:00Z: support ended 2026-10",
		"product   ACME Router X1 (router, CRA class important-i) by ACME Networks GmbH",
		"release   2.4.1, security support until 2026-10",
		"failed    cra/support-period",
		"page      https://label.siegel.example/label/SGL-2026-000042",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// --json prints the verified statement; the key may be given inline, the statement on stdin.
	data, _ := os.ReadFile(statement)
	code, out, errOut = invokeLabel(t, string(data), "verify", "--json", "--key", label.EncodePublicKey(pub), "-")
	if code != ExitOK {
		t.Fatalf("--json: exit %d, stderr %q", code, errOut)
	}
	var got label.Statement
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if diff := cmp.Diff(labelStatement(), got); diff != "" {
		t.Errorf("--json statement (-want +got):\n%s", diff)
	}

	// Tampering: one byte of the payload changed ("ACME" becomes "ACMF"), envelope otherwise intact.
	var env map[string]any
	json.Unmarshal(data, &env)
	payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	i := bytes.Index(payload, []byte("ACME Router"))
	payload[i+3] = 'F'
	env["payload"] = base64.StdEncoding.EncodeToString(payload)
	tampered, _ := json.Marshal(env)
	tamperedFile := filepath.Join(dir, "tampered.json")
	os.WriteFile(tamperedFile, tampered, 0o644)

	// A byte of the envelope's JSON removed: no longer an envelope.
	truncatedFile := filepath.Join(dir, "truncated.json")
	os.WriteFile(truncatedFile, data[:len(data)/2], 0o644)

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"payload byte flipped", []string{"--key", pubFile, tamperedFile}, ExitError, "invalid: signature does not verify"},
		{"wrong key", []string{"--key", otherFile, statement}, ExitError, "invalid: no signature by the given key"},
		{"truncated", []string{"--key", pubFile, truncatedFile}, ExitError, "invalid: not a valid DSSE envelope"},
		{"key file not a key", []string{"--key", statement, statement}, ExitError, "not an Ed25519 key"},
		{"key file missing", []string{"--key", filepath.Join(dir, "nope.pub"), statement}, ExitError, "no such file"},
		{"statement missing", []string{"--key", pubFile, filepath.Join(dir, "nope.json")}, ExitError, "no such file"},
		{"key file endless", []string{"--key", "/dev/zero", statement}, ExitError, "size limit"},
		{"no key", []string{statement}, ExitUsage, "needs --key"},
		{"no statement", []string{"--key", pubFile}, ExitUsage, "needs --key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := invokeLabel(t, "", append([]string{"verify"}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, tt.code, tt.want)
			}
			if out != "" {
				t.Errorf("stdout %q on failure", out)
			}
		})
	}
}

func TestLabelHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"verify", "--help"}} {
		code, out, _ := invokeLabel(t, "", args...)
		if code != ExitOK || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d, output %q", args, code, out)
		}
	}
}

// --register says whether a statement is the current one; --at whether the term covered a time.
func TestLabelVerifyRegisterAndTerm(t *testing.T) {
	dir := t.TempDir()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	pubPEM, _ := label.MarshalPublicKey(key.Public().(ed25519.PublicKey))
	old := labelStatement()
	old.Sequence, old.Status, old.Reason, old.StatusSince = 1, label.Valid, "", old.IssuedAt
	old.ValidUntil = old.IssuedAt.AddDate(2, 0, 0)
	cur := labelStatement()
	cur.ValidUntil = old.ValidUntil
	oldEnv, err := label.Sign(old, key)
	if err != nil {
		t.Fatal(err)
	}
	curEnv, err := label.Sign(cur, key)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := label.SignRegister(label.Register{Issuer: cur.Issuer, GeneratedAt: cur.StatusSince, Labels: []label.RegisterEntry{label.EntryOf(cur, curEnv)}}, key)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"old.json": oldEnv, "cur.json": curEnv, "register.json": reg, "issuer.pub": pubPEM}
	for n, d := range files {
		if err := os.WriteFile(filepath.Join(dir, n), d, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	if code, out, errOut := invokeLabel(t, "", "verify", "--key", p("issuer.pub"), "--register", p("register.json"), "--at", "2027-06-01T00:00:00Z", p("cur.json")); code != ExitOK ||
		!strings.Contains(errOut, "register: current statement (#2)") || !strings.Contains(out, "term      until 2028-03-02T09:30:00Z") {
		t.Errorf("current statement: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := invokeLabel(t, "", "verify", "--key", p("issuer.pub"), "--register", p("register.json"), p("old.json")); code != ExitError ||
		!strings.Contains(errOut, "superseded: this is statement #1") || !strings.Contains(errOut, "support ended 2026-10") {
		t.Errorf("superseded statement: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := invokeLabel(t, "", "verify", "--key", p("issuer.pub"), "--at", "2028-03-02T09:30:00Z", p("cur.json")); code != ExitError ||
		!strings.Contains(errOut, "the term ended 2028-03-02T09:30:00Z") {
		t.Errorf("after the term: exit %d\n%s", code, errOut)
	}
	// A register is not accepted in place of a statement, nor with another key.
	other, _ := label.MarshalPublicKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{10}, 32)).Public().(ed25519.PublicKey))
	os.WriteFile(p("other.pub"), other, 0o644)
	if code, _, _ := invokeLabel(t, "", "verify", "--key", p("other.pub"), p("register.json")); code != ExitError {
		t.Errorf("a register as a statement: exit %d", code)
	}
}
