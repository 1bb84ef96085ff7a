package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// testAccounts follows an account through its life: invited, accepted once, signed in, given a
// token, disabled (sessions and tokens stop at once), enabled; and the organization renamed.
func testAccounts(t *testing.T, s *store.DB) {
	ctx := store.WithActor(t.Context(), "user:admin@acme.example")
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	admin := must(s.CreateUser(ctx, org.ID, "admin@acme.example", "correct horse battery", "admin"))
	if _, _, err := s.InviteUser(ctx, org.ID, "eve@acme.example", "authority", time.Hour); err == nil {
		t.Error("an invitation with the authority role was accepted")
	}
	if _, _, err := s.InviteUser(ctx, org.ID, "not-an-address", "psirt", time.Hour); err == nil {
		t.Error("an invitation without an e-mail address was accepted")
	}
	if _, _, err := s.InviteUser(ctx, org.ID, "ADMIN@acme.example", "psirt", time.Hour); !errors.Is(err, store.ErrConflict) {
		t.Errorf("inviting an existing user: %v", err)
	}
	link, invited := must2(s.InviteUser(ctx, org.ID, " Bob@ACME.example ", "psirt", 7*24*time.Hour))
	if invited.Email != "bob@acme.example" {
		t.Errorf("invited %+v", invited)
	}
	if _, _, err := s.Login(ctx, "bob@acme.example", "", time.Hour); !errors.Is(err, store.ErrBadLogin) {
		t.Errorf("an invited user without a password signed in: %v", err)
	}
	if got := must(s.Invitation(ctx, link)); got.Email != "bob@acme.example" || got.Role != "psirt" || got.OrgName != "ACME" {
		t.Errorf("invitation %+v", got)
	}
	if _, err := s.AcceptInvitation(ctx, link, "short"); err == nil {
		t.Error("a short password was accepted")
	}
	must(s.AcceptInvitation(ctx, link, "bobs battery staple"))
	if _, err := s.AcceptInvitation(ctx, link, "another battery staple"); !errors.Is(err, store.ErrInvitation) {
		t.Errorf("an invitation link worked twice: %v", err)
	}
	if _, err := s.Invitation(ctx, link+"x"); !errors.Is(err, store.ErrInvitation) {
		t.Errorf("unknown invitation: %v", err)
	}
	late, _ := must2(s.InviteUser(ctx, org.ID, "carol@acme.example", "auditor", -time.Second))
	if _, err := s.AcceptInvitation(ctx, late, "carols battery staple"); !errors.Is(err, store.ErrInvitation) {
		t.Errorf("an expired invitation worked: %v", err)
	}
	// Inviting again replaces the expired link.
	again, _ := must2(s.InviteUser(ctx, org.ID, "carol@acme.example", "auditor", time.Hour))
	must(s.AcceptInvitation(ctx, again, "carols battery staple"))

	session, bob := must2(s.Login(ctx, "bob@acme.example", "bobs battery staple", time.Hour))
	secret, _ := must2(s.IssueToken(ctx, store.NewToken{Organization: org.ID, Role: "psirt", Name: "bob's laptop", User: bob.ID}))
	must(s.Authenticate(ctx, secret))
	if _, _, err := s.IssueToken(ctx, store.NewToken{Organization: org.ID, Role: "psirt", Name: "late", Expires: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("a token expiring in the past was issued")
	}
	if err := s.SetUserDisabled(ctx, org.ID, admin.ID, true); !errors.Is(err, store.ErrLastAdmin) {
		t.Errorf("disabling the only administrator: %v", err)
	}
	must(0, s.SetUserDisabled(ctx, org.ID, bob.ID, true))
	if _, err := s.SessionUser(ctx, session); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("a disabled user's session still works: %v", err)
	}
	if _, err := s.Authenticate(ctx, secret); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("a disabled user's token still works: %v", err)
	}
	if _, _, err := s.Login(ctx, "bob@acme.example", "bobs battery staple", time.Hour); !errors.Is(err, store.ErrDisabled) {
		t.Errorf("a disabled user signed in: %v", err)
	}
	must(0, s.SetUserDisabled(ctx, org.ID, bob.ID, false))
	must(s.Authenticate(ctx, secret))

	// Password change: the current password is required; other sessions end.
	other, _ := must2(s.Login(ctx, "bob@acme.example", "bobs battery staple", time.Hour))
	this, _ := must2(s.Login(ctx, "bob@acme.example", "bobs battery staple", time.Hour))
	if err := s.ChangePassword(ctx, bob.ID, "wrong password!!", "a new battery staple", this); err == nil {
		t.Error("a password was changed without the current one")
	}
	must(0, s.ChangePassword(ctx, bob.ID, "bobs battery staple", "a new battery staple", this))
	must(s.SessionUser(ctx, this))
	if _, err := s.SessionUser(ctx, other); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("another session survived the password change: %v", err)
	}

	// Tokens: listed without secrets, revoked at once.
	toks := must(s.ListTokens(ctx, org.ID))
	if len(toks) != 1 || toks[0].Name != "bob's laptop" || toks[0].Owner != "bob@acme.example" || toks[0].LastUsedAt.IsZero() {
		t.Errorf("tokens %+v", toks)
	}
	must(0, s.RevokeToken(ctx, org.ID, toks[0].ID))
	if _, err := s.Authenticate(ctx, secret); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("a revoked token still works: %v", err)
	}
	if toks := must(s.ListTokens(ctx, org.ID)); toks[0].RevokedAt.IsZero() {
		t.Errorf("revocation not listed: %+v", toks)
	}

	users := must(s.ListUsers(ctx, org.ID))
	if len(users) != 3 || users[1].Email != "bob@acme.example" || users[1].Invited || !users[1].DisabledAt.IsZero() {
		t.Errorf("users %+v", users)
	}

	other2 := must(s.CreateOrganization(ctx, "Globex", "small", false))
	if err := s.RenameOrganization(ctx, org.ID, other2.Name); !errors.Is(err, store.ErrConflict) {
		t.Errorf("renaming onto another organization's name: %v", err)
	}
	must(0, s.RenameOrganization(ctx, org.ID, "ACME Networks GmbH"))
	if u := must(s.SessionUser(ctx, this)); u.OrgName != "ACME Networks GmbH" {
		t.Errorf("organization name after the rename: %q", u.OrgName)
	}

	var actions []string
	for _, e := range must(s.AuditEvents(ctx, org.ID, 100)) {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"user.invite", "user.invitation-accept", "user.disable", "user.enable", "user.password-change", "token.create", "token.revoke", "organization.rename"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("no %s in the audit trail %v", want, actions)
		}
	}
}

// testSSOUsers links an identity to an existing user by e-mail, creates a new user with the
// mapped role, and refuses a disabled one.
func testSSOUsers(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	must(s.CreateUser(ctx, org.ID, "admin@acme.example", "correct horse battery", "admin"))
	linked := must(s.SSOUser(ctx, org.ID, "https://idp.example|sub-1", "Admin@acme.example", "auditor"))
	if linked.Role != "admin" {
		t.Errorf("linking changed the role: %+v", linked)
	}
	if again := must(s.SSOUser(ctx, org.ID, "https://idp.example|sub-1", "renamed@acme.example", "auditor")); again.ID != linked.ID {
		t.Errorf("the same identity found another user: %+v", again)
	}
	fresh := must(s.SSOUser(ctx, org.ID, "https://idp.example|sub-2", "dora@acme.example", "psirt"))
	if fresh.Role != "psirt" || fresh.OrgName != "ACME" {
		t.Errorf("new user %+v", fresh)
	}
	if _, err := s.SSOUser(ctx, org.ID, "https://idp.example|sub-3", "dora@acme.example", "psirt"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second identity took over a linked user: %v", err)
	}
	must(0, s.SetUserDisabled(ctx, org.ID, fresh.ID, true))
	if _, err := s.SSOUser(ctx, org.ID, "https://idp.example|sub-2", "dora@acme.example", "psirt"); !errors.Is(err, store.ErrDisabled) {
		t.Errorf("a disabled user signed in through single sign-on: %v", err)
	}
}

// testTOTP enrols a second factor and completes logins with it: each time step once, a recovery
// code once, and a challenge dropped after five wrong codes.
func testTOTP(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	u := must(s.CreateUser(ctx, org.ID, "admin@acme.example", "correct horse battery", "admin"))
	// A checker that accepts "1000xx" as time step xx of the secret "S".
	check := func(secret, code string) (int64, bool) {
		if secret != "S" || len(code) != 6 || !strings.HasPrefix(code, "1000") {
			return 0, false
		}
		return int64(code[4]-'0')*10 + int64(code[5]-'0'), true
	}
	must(0, s.BeginTOTP(ctx, u.ID, "S"))
	if _, _, err := s.Login(ctx, "admin@acme.example", "correct horse battery", time.Hour); err != nil {
		t.Errorf("a second factor not yet confirmed was required: %v", err)
	}
	if _, err := s.ConfirmTOTP(ctx, u.ID, "999999", check); !errors.Is(err, store.ErrBadCode) {
		t.Errorf("confirmation with a wrong code: %v", err)
	}
	codes := must(s.ConfirmTOTP(ctx, u.ID, "100010", check))
	if len(codes) != 10 {
		t.Fatalf("recovery codes %v", codes)
	}
	if err := s.BeginTOTP(ctx, u.ID, "T"); err == nil {
		t.Error("a second enrolment replaced a confirmed one")
	}
	challenge, _, err := s.Login(ctx, "admin@acme.example", "correct horse battery", time.Hour)
	if !errors.Is(err, store.ErrSecondFactor) {
		t.Fatalf("login with a second factor: %v", err)
	}
	if got := must(s.ChallengeUser(ctx, challenge)); got.ID != u.ID {
		t.Errorf("challenge user %+v", got)
	}
	if _, _, err := s.CompleteChallenge(ctx, challenge, "100010", check, time.Hour); !errors.Is(err, store.ErrBadCode) {
		t.Errorf("the enrolment's time step again: %v", err)
	}
	session, _ := must2(s.CompleteChallenge(ctx, challenge, "100011", check, time.Hour))
	must(s.SessionUser(ctx, session))
	if _, _, err := s.CompleteChallenge(ctx, challenge, "100012", check, time.Hour); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("a used challenge: %v", err)
	}
	challenge, _, _ = s.Login(ctx, "admin@acme.example", "correct horse battery", time.Hour)
	must2(s.CompleteChallenge(ctx, challenge, " "+strings.ToUpper(codes[3])+" ", check, time.Hour))
	challenge, _, _ = s.Login(ctx, "admin@acme.example", "correct horse battery", time.Hour)
	if _, _, err := s.CompleteChallenge(ctx, challenge, codes[3], check, time.Hour); !errors.Is(err, store.ErrBadCode) {
		t.Errorf("a recovery code twice: %v", err)
	}
	for range 4 {
		s.CompleteChallenge(ctx, challenge, "000000", check, time.Hour)
	}
	if _, _, err := s.CompleteChallenge(ctx, challenge, "100020", check, time.Hour); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("a challenge after five wrong codes: %v", err)
	}
	if err := s.RemoveTOTP(ctx, u.ID, "wrong password!!"); err == nil {
		t.Error("the second factor was removed without the password")
	}
	must(0, s.RemoveTOTP(ctx, u.ID, "correct horse battery"))
	must2(s.Login(ctx, "admin@acme.example", "correct horse battery", time.Hour))
}
