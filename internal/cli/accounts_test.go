package cli

import (
	"bytes"
	"maps"
	"os"
	"regexp"
	"slices"
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

// TestUserRoleCommand: 'siegel user role EMAIL ROLE' changes a role on the store the server would
// use, refuses to demote the last active administrator with the API's message, and refuses an
// unknown role or user.
func TestUserRoleCommand(t *testing.T) {
	data := t.TempDir()
	noEnv := func(string) string { return "" }
	run := func(want int, args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := Run(t.Context(), args, strings.NewReader(""), &out, &errOut, noEnv); code != want {
			t.Fatalf("siegel %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errOut.String())
		}
		return out.String(), errOut.String()
	}
	run(0, "token", "create", "--data", data, "--org", "ACME", "--role", "admin", "--name", "ci")
	st, err := store.OpenSQLite(t.Context(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.FirstOrganization(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for email, role := range map[string]string{"ada@acme.example": "admin", "pia@acme.example": "psirt"} {
		if _, err := st.CreateUser(t.Context(), org.ID, email, "a battery staple", role); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	if _, stderr := run(1, "user", "role", "--data", data, "ada@acme.example", "psirt"); !strings.Contains(stderr, store.ErrLastAdmin.Error()) {
		t.Errorf("demoting the last active administrator: stderr %q, want %q", stderr, store.ErrLastAdmin.Error())
	}
	if out, _ := run(0, "user", "role", "--data", data, "Pia@acme.example", "admin"); out != "pia@acme.example is admin\n" {
		t.Errorf("promotion printed %q", out)
	}
	run(0, "user", "role", "ada@acme.example", "--data", data, "auditor")
	run(1, "user", "role", "--data", data, "ada@acme.example", "root")
	run(1, "user", "role", "--data", data, "nobody@acme.example", "psirt")
	run(2, "user", "role", "--data", data, "ada@acme.example")

	st, err = store.OpenSQLite(t.Context(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	roles := map[string]string{}
	for _, e := range []string{"ada@acme.example", "pia@acme.example"} {
		u, err := st.UserByEmail(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		roles[e] = u.Role
	}
	if want := map[string]string{"ada@acme.example": "auditor", "pia@acme.example": "admin"}; !maps.Equal(roles, want) {
		t.Errorf("roles %v, want %v", roles, want)
	}
	audit, err := st.AuditEvents(t.Context(), org.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, e := range audit {
		if e.Action == "user.role" {
			changes = append(changes, e.Actor+" "+e.Subject+" "+e.Detail)
		}
	}
	slices.Sort(changes)
	if want := []string{"cli user/ada@acme.example role admin → auditor", "cli user/pia@acme.example role psirt → admin"}; !slices.Equal(changes, want) {
		t.Errorf("audit trail %q, want %q", changes, want)
	}
}
