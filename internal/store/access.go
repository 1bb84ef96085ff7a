package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Roles an API token (and later a user) can have.
var Roles = []string{"admin", "psirt", "auditor", "read-only", "authority"}

// tokenPrefix marks Siegel tokens, so that secret scanners can recognise a leaked one.
const tokenPrefix = "sgl_"

// Token is an API token as stored: without the secret.
type Token struct {
	ID           int64
	Organization int64
	OrgName      string
	Role         string
	Name         string
	// User is the user the token belongs to (0: none): a web session's own user, or the owner
	// of an API token created by a user.
	User int64
}

// ErrUnauthorized is returned for an unknown or malformed token.
var ErrUnauthorized = errors.New("unknown API token")

func tokenHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken creates an API token for an organization with a role and returns the secret, which
// is not stored (only its SHA-256 is) and cannot be shown again. A token is 256 random bits, so a
// fast hash is the right one: there is nothing to brute-force.
func (s *DB) CreateToken(ctx context.Context, org int64, role, name string) (string, *Token, error) {
	if !slices.Contains(Roles, role) {
		return "", nil, fmt.Errorf("role %q: choose one of %s", role, strings.Join(Roles, ", "))
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	t := &Token{Organization: org, Role: role, Name: name}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, s.rebind(`INSERT INTO api_token (organization, role, name, hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`),
			org, role, name, tokenHash(secret), s.now()).Scan(&t.ID)
	})
	if err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	return secret, t, nil
}

// Authenticate returns the token a secret belongs to.
func (s *DB) Authenticate(ctx context.Context, secret string) (*Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 128 {
		return nil, ErrUnauthorized
	}
	t := &Token{}
	// A token stops working when revoked, when its expiry passes and when its user is disabled.
	var expires, revoked, disabled, used sql.NullTime
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT t.id, t.organization, o.name, t.role, t.name, COALESCE(t.app_user, 0), t.expires_at, t.revoked_at, u.disabled_at, t.last_used_at
		FROM api_token t JOIN organization o ON o.id = t.organization LEFT JOIN app_user u ON u.id = t.app_user WHERE t.hash = ?`), tokenHash(secret)).
		Scan(&t.ID, &t.Organization, &t.OrgName, &t.Role, &t.Name, &t.User, &expires, &revoked, &disabled, &used)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (revoked.Valid || disabled.Valid || expires.Valid && !expires.Time.After(s.now())) {
		return nil, ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if !used.Valid || s.now().Sub(used.Time) >= tokenUseGranularity {
		if err := s.noteTokenUse(ctx, t.ID); err != nil {
			return nil, fmt.Errorf("token %d: note its use: %w", t.ID, err)
		}
	}
	return t, nil
}

// orgSelect reads the columns scanOrganization takes.
const orgSelect = `SELECT id, name, size_class, authority, member_state, holiday_region, steward, created_at FROM organization `

// scanOrganization reads a row of orgSelect.
func scanOrganization(r rowScanner) (*Organization, error) {
	o := &Organization{}
	if err := r.Scan(&o.ID, &o.Name, &o.SizeClass, &o.Authority, &o.MemberState, &o.HolidayRegion, &o.Steward, &o.CreatedAt); err != nil {
		return nil, mapError(err)
	}
	o.CreatedAt = o.CreatedAt.UTC()
	return o, nil
}

// OrganizationByName returns an organization, or ErrNotFound.
func (s *DB) OrganizationByName(ctx context.Context, name string) (*Organization, error) {
	o, err := scanOrganization(s.sql.QueryRowContext(ctx, s.rebind(orgSelect+`WHERE name = ?`), name))
	if err != nil {
		return nil, fmt.Errorf("organization %q: %w", name, err)
	}
	return o, nil
}

// OrganizationByID returns an organization, or ErrNotFound.
func (s *DB) OrganizationByID(ctx context.Context, id int64) (*Organization, error) {
	o, err := scanOrganization(s.sql.QueryRowContext(ctx, s.rebind(orgSelect+`WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("organization %d: %w", id, err)
	}
	return o, nil
}

// FirstOrganization returns the oldest manufacturer (not authority) organization.
func (s *DB) FirstOrganization(ctx context.Context) (*Organization, error) {
	o, err := scanOrganization(s.sql.QueryRowContext(ctx, s.rebind(orgSelect+`WHERE authority = ? ORDER BY id LIMIT 1`), false))
	if err != nil {
		return nil, fmt.Errorf("first organization: %w", err)
	}
	return o, nil
}
