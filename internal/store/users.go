package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// User is a person who logs in to the web UI.
type User struct {
	ID           int64
	Organization int64
	OrgName      string
	Email        string
	Role         string
}

// Token returns the user as a principal with the same rights as an API token of its role.
func (u *User) Token() *Token {
	return &Token{Organization: u.Organization, OrgName: u.OrgName, Role: u.Role, Name: u.Email, User: u.ID}
}

// ErrBadLogin is returned for an unknown e-mail or a wrong password (indistinguishably).
var ErrBadLogin = errors.New("wrong e-mail or password")

// argon2id parameters: the second OWASP recommendation (19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

func checkPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<22 || t > 64 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// CreateUser adds a user with a password of at least 12 characters.
func (s *DB) CreateUser(ctx context.Context, org int64, email, password, role string) (*User, error) {
	if !slices.Contains(Roles, role) {
		return nil, fmt.Errorf("role %q: choose one of %s", role, strings.Join(Roles, ", "))
	}
	if len(password) < 12 {
		return nil, fmt.Errorf("password too short: use at least 12 characters")
	}
	h, err := hashPassword(password)
	if err != nil {
		return nil, err
	}
	u := &User{Organization: org, Email: strings.ToLower(strings.TrimSpace(email)), Role: role}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, s.rebind(`INSERT INTO app_user (organization, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`),
			org, u.Email, h, role, s.now()).Scan(&u.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("create user %q: %w", email, err)
	}
	return u, nil
}

// Users counts the users (first run creates an administrator when there are none).
func (s *DB) Users(ctx context.Context) (int, error) {
	var n int
	err := s.sql.QueryRowContext(ctx, `SELECT count(*) FROM app_user`).Scan(&n)
	return n, err
}

// Login checks a password and opens a session; it returns the session secret for the cookie.
func (s *DB) Login(ctx context.Context, email, password string, ttl time.Duration) (string, *User, error) {
	u := &User{}
	var hash string
	var disabled sql.NullTime
	var totp bool
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT u.id, u.organization, o.name, u.email, u.role, u.password_hash, u.disabled_at, u.totp_enabled FROM app_user u
		JOIN organization o ON o.id = u.organization WHERE u.email = ?`), strings.ToLower(strings.TrimSpace(email))).
		Scan(&u.ID, &u.Organization, &u.OrgName, &u.Email, &u.Role, &hash, &disabled, &totp)
	if errors.Is(err, sql.ErrNoRows) {
		checkPassword("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", password) // same work as a real check
		return "", nil, ErrBadLogin
	}
	if err != nil {
		return "", nil, err
	}
	if !checkPassword(hash, password) {
		return "", nil, ErrBadLogin
	}
	if disabled.Valid {
		return "", nil, ErrDisabled
	}
	if totp {
		challenge, err := s.openChallenge(ctx, u.ID)
		if err != nil {
			return "", nil, err
		}
		return challenge, u, ErrSecondFactor
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO session (hash, app_user, expires_at) VALUES (?, ?, ?)`), tokenHash(secret), u.ID, s.now().Add(ttl))
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return secret, u, nil
}

// SessionUser returns the user of a live session.
func (s *DB) SessionUser(ctx context.Context, secret string) (*User, error) {
	u := &User{}
	var expires time.Time
	err := s.reader().QueryRowContext(ctx, s.rebind(`SELECT u.id, u.organization, o.name, u.email, u.role, s.expires_at FROM session s
		JOIN app_user u ON u.id = s.app_user JOIN organization o ON o.id = u.organization WHERE s.hash = ? AND u.disabled_at IS NULL`), tokenHash(secret)).
		Scan(&u.ID, &u.Organization, &u.OrgName, &u.Email, &u.Role, &expires)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !expires.After(s.now()) {
		return nil, ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Logout ends a session.
func (s *DB) Logout(ctx context.Context, secret string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM session WHERE hash = ?`), tokenHash(secret))
		return err
	})
}

// SetPassword replaces a user's password and ends the user's sessions, with an audit entry, in
// one transaction: the reset from the machine when nobody can log in.
func (s *DB) SetPassword(ctx context.Context, email, password string) error {
	if len(password) < 12 {
		return fmt.Errorf("password too short: use at least 12 characters")
	}
	h, err := hashPassword(password)
	if err != nil {
		return err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var id, org int64
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT id, organization FROM app_user WHERE email = ?`), email).Scan(&id, &org); err != nil {
			return fmt.Errorf("user %q: %w", email, mapError(err))
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE app_user SET password_hash = ? WHERE id = ?`), h, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM session WHERE app_user = ?`), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, org, "user.password-reset", "user/"+email, "password reset from the machine; sessions ended")
	})
}
