package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// InviteRoles are the roles an administrator can give a person of the organization: admin,
// psirt (triage, cases, advisories) and auditor or read-only (read, never change). The authority
// role belongs to market surveillance installations and is not given by invitation.
var InviteRoles = []string{"admin", "psirt", "auditor", "read-only"}

// Errors of the account life cycle, for callers that answer each differently.
var (
	// ErrInvitation is returned for an unknown, used or expired invitation link.
	ErrInvitation = errors.New("this invitation link is unknown, used or expired: ask an administrator for a new one")
	// ErrDisabled is returned when a disabled user signs in with a correct password.
	ErrDisabled = errors.New("this account is disabled: ask an administrator")
	// ErrSecondFactor is returned by Login for a user with a second factor: the returned secret
	// is a login challenge, to be completed with a code (CompleteChallenge).
	ErrSecondFactor = errors.New("second factor required")
	// ErrBadCode is returned for a wrong, reused or late second-factor code.
	ErrBadCode = errors.New("wrong or already used code")
	// ErrLastAdmin is returned when a change would leave the organization without an active
	// administrator.
	ErrLastAdmin = errors.New("the organization would have no active administrator left: make another user admin first")
)

// UserInfo is a user as the account list shows it.
type UserInfo struct {
	ID         int64
	Email      string
	Role       string
	CreatedAt  time.Time
	DisabledAt time.Time // zero while active
	Invited    bool      // invited, no password set yet
	TOTP       bool      // a second factor is enrolled
	SSO        bool      // linked to an OpenID Connect identity
}

// randomSecret returns 256 random bits, URL-safe.
func randomSecret() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

func fromNullTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// Users lists an organization's users, oldest first.
func (s *DB) ListUsers(ctx context.Context, org int64) ([]UserInfo, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id, email, role, created_at, disabled_at, password_hash = '' AND oidc_identity IS NULL,
		totp_enabled, oidc_identity IS NOT NULL FROM app_user WHERE organization = ? ORDER BY id`), org)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []UserInfo
	for rows.Next() {
		var u UserInfo
		var disabled sql.NullTime
		if err := rows.Scan(&u.ID, &u.Email, &u.Role, &u.CreatedAt, &disabled, &u.Invited, &u.TOTP, &u.SSO); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.CreatedAt, u.DisabledAt = u.CreatedAt.UTC(), fromNullTime(disabled)
		out = append(out, u)
	}
	return out, rows.Err()
}

// InviteUser records a user of org without a password and returns the secret of a one-time
// invitation link valid for ttl; only its SHA-256 is stored. Inviting an address again whose
// earlier invitation was never accepted replaces that invitation.
func (s *DB) InviteUser(ctx context.Context, org int64, email, role string, ttl time.Duration) (string, *User, error) {
	if !slices.Contains(InviteRoles, role) {
		return "", nil, fmt.Errorf("%w: role %q: choose one of %s", ErrInvalid, role, strings.Join(InviteRoles, ", "))
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if at := strings.IndexByte(email, '@'); at < 1 || at == len(email)-1 || len(email) > 254 || strings.ContainsAny(email, " \t\r\n<>\"") {
		return "", nil, fmt.Errorf("%w: e-mail %q: give an address such as ada@acme.example", ErrInvalid, email)
	}
	secret, err := randomSecret()
	if err != nil {
		return "", nil, err
	}
	u := &User{Organization: org, Email: email, Role: role}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var hash string
		var uorg int64
		var sso bool
		err := tx.QueryRowContext(ctx, s.rebind(`SELECT id, organization, password_hash, oidc_identity IS NOT NULL FROM app_user WHERE email = ?`), email).
			Scan(&u.ID, &uorg, &hash, &sso)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO app_user (organization, email, password_hash, role, created_at) VALUES (?, ?, '', ?, ?) RETURNING id`),
				org, email, role, s.now()).Scan(&u.ID); err != nil {
				return err
			}
		case err != nil:
			return err
		case uorg != org || hash != "" || sso:
			return fmt.Errorf("%w: %s already has an account", ErrConflict, email)
		default:
			if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE app_user SET role = ? WHERE id = ?`), role, u.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM user_invitation WHERE app_user = ?`), u.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO user_invitation (hash, app_user, created_at, expires_at) VALUES (?, ?, ?, ?)`),
			tokenHash(secret), u.ID, s.now(), s.now().Add(ttl)); err != nil {
			return err
		}
		return s.audit(ctx, tx, org, "user.invite", "user/"+email, fmt.Sprintf("invited as %s; the link expires %s", role, s.now().Add(ttl).Format(time.RFC3339)))
	})
	if err != nil {
		return "", nil, fmt.Errorf("invite %s: %w", email, err)
	}
	return secret, u, nil
}

// Invitation returns the user an open invitation link is for, or ErrInvitation.
func (s *DB) Invitation(ctx context.Context, secret string) (*User, error) {
	return s.invitation(ctx, s.sql, secret)
}

func (s *DB) invitation(ctx context.Context, q querier, secret string) (*User, error) {
	u := &User{}
	var expires time.Time
	var used, disabled sql.NullTime
	err := q.QueryRowContext(ctx, s.rebind(`SELECT u.id, u.organization, o.name, u.email, u.role, i.expires_at, i.used_at, u.disabled_at
		FROM user_invitation i JOIN app_user u ON u.id = i.app_user JOIN organization o ON o.id = u.organization WHERE i.hash = ?`), tokenHash(secret)).
		Scan(&u.ID, &u.Organization, &u.OrgName, &u.Email, &u.Role, &expires, &used, &disabled)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (used.Valid || disabled.Valid || !expires.After(s.now())) {
		return nil, ErrInvitation
	}
	if err != nil {
		return nil, fmt.Errorf("invitation: %w", err)
	}
	return u, nil
}

// AcceptInvitation sets the invited user's password and uses the invitation up, in one
// transaction: a link works once.
func (s *DB) AcceptInvitation(ctx context.Context, secret, password string) (*User, error) {
	if err := checkNewPassword(password); err != nil {
		return nil, err
	}
	h, err := hashPassword(password)
	if err != nil {
		return nil, err
	}
	var u *User
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if u, err = s.invitation(ctx, tx, secret); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.rebind(`UPDATE user_invitation SET used_at = ? WHERE hash = ? AND used_at IS NULL`), s.now(), tokenHash(secret))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrInvitation // accepted by a concurrent request
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE app_user SET password_hash = ? WHERE id = ?`), h, u.ID); err != nil {
			return err
		}
		return s.audit(WithActor(ctx, "user:"+u.Email), tx, u.Organization, "user.invitation-accept", "user/"+u.Email, "password set through the invitation link")
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func checkNewPassword(password string) error {
	if len(password) < 12 {
		return fmt.Errorf("%w: password too short: use at least 12 characters", ErrInvalid)
	}
	if len(password) > 1024 {
		return fmt.Errorf("%w: password too long: use at most 1024 characters", ErrInvalid)
	}
	return nil
}

// SetUserDisabled disables a user of org (its sessions, pending logins and API tokens stop
// working at once) or enables it again. The last active administrator cannot be disabled.
func (s *DB) SetUserDisabled(ctx context.Context, org, id int64, disabled bool) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var email, role string
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT email, role FROM app_user WHERE id = ? AND organization = ?`), id, org).Scan(&email, &role); err != nil {
			return fmt.Errorf("user %d: %w", id, mapError(err))
		}
		if !disabled {
			if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE app_user SET disabled_at = NULL WHERE id = ?`), id); err != nil {
				return err
			}
			return s.audit(ctx, tx, org, "user.enable", "user/"+email, "enabled again")
		}
		if role == "admin" {
			if err := s.keepAnAdmin(ctx, tx, org, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE app_user SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL`), s.now(), id); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM session WHERE app_user = ?`, `DELETE FROM login_challenge WHERE app_user = ?`, `DELETE FROM user_invitation WHERE app_user = ?`} {
			if _, err := tx.ExecContext(ctx, s.rebind(q), id); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, org, "user.disable", "user/"+email, "disabled; sessions ended, API tokens refused")
	})
}

// keepAnAdmin refuses a change to user id when no other active administrator of org would remain.
func (s *DB) keepAnAdmin(ctx context.Context, tx *sql.Tx, org, id int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM app_user WHERE organization = ? AND role = 'admin' AND disabled_at IS NULL
		AND (password_hash <> '' OR oidc_identity IS NOT NULL) AND id <> ?`), org, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ErrLastAdmin
	}
	return nil
}

// UserByEmail returns an organization's user by e-mail address, or ErrNotFound.
func (s *DB) UserByEmail(ctx context.Context, email string) (*User, error) {
	u := &User{}
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT u.id, u.organization, o.name, u.email, u.role FROM app_user u
		JOIN organization o ON o.id = u.organization WHERE u.email = ?`), strings.ToLower(strings.TrimSpace(email))).
		Scan(&u.ID, &u.Organization, &u.OrgName, &u.Email, &u.Role)
	if err != nil {
		return nil, fmt.Errorf("user %q: %w", email, mapError(err))
	}
	return u, nil
}

// ChangePassword replaces a user's own password after checking the current one, and ends the
// user's other sessions (keep is the secret of the session that made the change).
func (s *DB) ChangePassword(ctx context.Context, id int64, current, password, keep string) error {
	if err := checkNewPassword(password); err != nil {
		return err
	}
	var hash, email string
	var org int64
	if err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT password_hash, email, organization FROM app_user WHERE id = ?`), id).Scan(&hash, &email, &org); err != nil {
		return fmt.Errorf("user %d: %w", id, mapError(err))
	}
	if !checkPassword(hash, current) {
		return fmt.Errorf("%w: the current password is wrong", ErrInvalid)
	}
	h, err := hashPassword(password)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE app_user SET password_hash = ? WHERE id = ?`), h, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM session WHERE app_user = ? AND hash <> ?`), id, tokenHash(keep)); err != nil {
			return err
		}
		return s.audit(ctx, tx, org, "user.password-change", "user/"+email, "changed by the user; other sessions ended")
	})
}

// StartSession opens a session for a user (after a login completed some other way: a second
// factor, single sign-on) and returns its secret.
func (s *DB) StartSession(ctx context.Context, id int64, ttl time.Duration) (string, error) {
	secret, err := randomSecret()
	if err != nil {
		return "", err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO session (hash, app_user, expires_at) VALUES (?, ?, ?)`), tokenHash(secret), id, s.now().Add(ttl))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("start session: %w", err)
	}
	return secret, nil
}

// RenameOrganization changes an organization's name: the name printed on declarations of
// conformity, advisories (their tracking ids), CRA reports and label pages from now on.
func (s *DB) RenameOrganization(ctx context.Context, org int64, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 || strings.ContainsAny(name, "\r\n\t") {
		return fmt.Errorf("%w: organization name %q: give one line of 1 to 200 characters", ErrInvalid, name)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var old string
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT name FROM organization WHERE id = ?`), org).Scan(&old); err != nil {
			return fmt.Errorf("organization %d: %w", org, mapError(err))
		}
		if old == name {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE organization SET name = ? WHERE id = ?`), name, org); err != nil {
			return fmt.Errorf("rename organization to %q: %w", name, mapError(err))
		}
		return s.audit(ctx, tx, org, "organization.rename", fmt.Sprintf("organization/%d", org), fmt.Sprintf("renamed from %q to %q", old, name))
	})
}

// SSOUser returns the user an OpenID Connect identity (issuer and subject) signs in as: the
// user linked to it, else the user of org with the identity's verified e-mail address (which is
// then linked), else a new user of org with role. A disabled user gets ErrDisabled.
func (s *DB) SSOUser(ctx context.Context, org int64, identity, email, role string) (*User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !slices.Contains(InviteRoles, role) {
		return nil, fmt.Errorf("%w: single sign-on role %q: choose one of %s", ErrInvalid, role, strings.Join(InviteRoles, ", "))
	}
	u := &User{}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		find := func(where string, arg any) (bool, error) {
			var disabled sql.NullTime
			var linked sql.NullString
			err := tx.QueryRowContext(ctx, s.rebind(`SELECT u.id, u.organization, o.name, u.email, u.role, u.disabled_at, u.oidc_identity FROM app_user u
				JOIN organization o ON o.id = u.organization WHERE `+where), arg).Scan(&u.ID, &u.Organization, &u.OrgName, &u.Email, &u.Role, &disabled, &linked)
			if errors.Is(err, sql.ErrNoRows) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			if disabled.Valid {
				return false, ErrDisabled
			}
			if linked.Valid && linked.String != identity {
				return false, fmt.Errorf("%w: %s is linked to another single sign-on identity", ErrConflict, u.Email)
			}
			return true, nil
		}
		if ok, err := find(`u.oidc_identity = ?`, identity); ok || err != nil {
			return err
		}
		ok, err := find(`u.email = ?`, email)
		if err != nil {
			return err
		}
		if ok {
			if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE app_user SET oidc_identity = ? WHERE id = ?`), identity, u.ID); err != nil {
				return err
			}
			// An invitation not yet accepted is void: the identity provider vouches for the person.
			if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM user_invitation WHERE app_user = ?`), u.ID); err != nil {
				return err
			}
			return s.audit(WithActor(ctx, "sso:"+email), tx, u.Organization, "user.sso-link", "user/"+email, "linked to "+identity)
		}
		if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO app_user (organization, email, password_hash, role, created_at, oidc_identity) VALUES (?, ?, '', ?, ?, ?) RETURNING id`),
			org, email, role, s.now(), identity).Scan(&u.ID); err != nil {
			return err
		}
		o, err := scanOrganization(tx.QueryRowContext(ctx, s.rebind(orgSelect+`WHERE id = ?`), org))
		if err != nil {
			return err
		}
		u.Organization, u.OrgName, u.Email, u.Role = org, o.Name, email, role
		return s.audit(WithActor(ctx, "sso:"+email), tx, org, "user.sso-create", "user/"+email, "created at the first single sign-on as "+role+"; identity "+identity)
	})
	if err != nil {
		return nil, fmt.Errorf("single sign-on of %s: %w", email, err)
	}
	return u, nil
}
