package cli

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/store"
)

// TestUserAndTokenCommands: invite a user, list users and tokens (never a secret), disable the
// user (their token stops), revoke a token; each on the store the server would use.
func TestUserAndTokenCommands(t *testing.T) {
	data := t.TempDir()
	noEnv := func(string) string { return "" }
	run := func(want int, args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := Run(t.Context(), args, strings.NewReader(""), &out, &errOut, noEnv); code != want {
			t.Fatalf("siegel %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errOut.String())
		}
		return out.String()
	}
	secret := strings.TrimSpace(run(0, "token", "create", "--data", data, "--org", "ACME", "--role", "admin", "--name", "ci"))
	link := run(0, "user", "invite", "--data", data, "--email", "Pia@acme.example", "--role", "psirt", "--base-url", "https://siegel.acme.example/")
	if !regexp.MustCompile(`^https://siegel\.acme\.example/invite/[A-Za-z0-9_-]{43}\n$`).MatchString(link) {
		t.Errorf("invitation link %q", link)
	}
	run(2, "user", "invite", "--data", data, "--email", "x@acme.example")
	run(1, "user", "invite", "--data", data, "--email", "x@acme.example", "--role", "authority", "--base-url", "https://siegel.acme.example")
	users := run(0, "user", "list", "--data", data)
	if !regexp.MustCompile(`(?m)^1\s+pia@acme\.example\s+psirt\s+invited\s+-\s+-\s+\d{4}-\d\d-\d\d$`).MatchString(users) {
		t.Errorf("user list:\n%s", users)
	}

	st, err := store.OpenSQLite(t.Context(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	secretLink := link[strings.LastIndexByte(link, '/')+1 : len(link)-1]
	if _, err := st.AcceptInvitation(t.Context(), secretLink, "pias battery staple"); err != nil {
		t.Fatal(err)
	}
	pia, _ := st.UserByEmail(t.Context(), "pia@acme.example")
	piaToken, _, err := st.IssueToken(t.Context(), store.NewToken{Organization: pia.Organization, Role: "psirt", Name: "pia's", User: pia.ID})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	run(2, "token", "create", "--data", data, "--org", "ACME", "--expires-in-days", "-1")
	run(0, "token", "create", "--data", data, "--org", "ACME", "--role", "read-only", "--name", "nightly", "--expires-in-days", "30")
	run(0, "user", "disable", "--data", data, "--email", "pia@acme.example")
	tokens := run(0, "token", "list", "--data", data, "--org", "ACME")
	if strings.Contains(tokens, "sgl_") || !strings.Contains(tokens, "pia@acme.example") || !regexp.MustCompile(`(?m)^1\s+ci\s+admin\s+-\s+`).MatchString(tokens) {
		t.Errorf("token list:\n%s", tokens)
	}
	run(0, "token", "revoke", "--data", data, "1")
	run(2, "token", "revoke", "--data", data, "one")
	run(1, "token", "revoke", "--data", data, "99")
	if !regexp.MustCompile(`(?m)^\d+\s+nightly\s+read-only\s+-\s+\S+\s+-\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+active$`).MatchString(tokens) {
		t.Errorf("the token with an expiry:\n%s", tokens)
	}
	if !strings.Contains(run(0, "token", "list", "--data", data), "revoked") {
		t.Error("the revoked token is not listed as revoked")
	}

	st, err = store.OpenSQLite(t.Context(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, s := range map[string]string{"revoked": secret, "disabled user's": piaToken} {
		if _, err := st.Authenticate(t.Context(), s); err == nil {
			t.Errorf("the %s token still authenticates", name)
		}
	}
	if _, _, err := st.Login(t.Context(), "pia@acme.example", "pias battery staple", 1); err == nil {
		t.Error("a disabled user logged in")
	}
}

// TestServeSSOFlags: single sign-on is configured completely or the server does not start, and
// says what is missing.
func TestServeSSOFlags(t *testing.T) {
	secretFile := t.TempDir() + "/secret"
	if err := os.WriteFile(secretFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--oidc-issuer", "https://idp.example"}, "both --oidc-issuer and --oidc-client-id"},
		{[]string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "siegel"}, "needs --base-url"},
		{[]string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "siegel", "--base-url", "https://siegel.example"}, "needs the client secret"},
		{[]string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "siegel", "--base-url", "https://siegel.example", "--oidc-client-secret-file", secretFile}, "admits nobody"},
		{[]string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "siegel", "--base-url", "https://siegel.example", "--oidc-client-secret-file", secretFile, "--oidc-group-role", "admins=root"}, "GROUP=ROLE"},
	} {
		var out, errOut bytes.Buffer
		args := append([]string{"serve", "--data", t.TempDir()}, tc.args...)
		if code := Run(t.Context(), args, strings.NewReader(""), &out, &errOut, func(string) string { return "" }); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}
