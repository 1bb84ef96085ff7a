package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// TokenInfo is an API token as the token list shows it: never its secret.
type TokenInfo struct {
	ID         int64
	Name       string
	Role       string
	Owner      string // the e-mail of the user who created it; "" for one made on the machine
	OwnerID    int64  // that user's id; 0 for one made on the machine
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: in force
}

// Expired reports whether the token's expiry has passed at now.
func (t TokenInfo) Expired(now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !t.ExpiresAt.After(now)
}

// NewToken is what IssueToken makes.
type NewToken struct {
	Organization int64
	Role, Name   string
	Expires      time.Time // zero: never
	User         int64     // the user the token belongs to (0: none); disabling the user stops it
}

// IssueToken creates an API token with an owner and an expiry and records it in the audit
// trail; it returns the secret, shown once.
func (s *DB) IssueToken(ctx context.Context, n NewToken) (string, *TokenInfo, error) {
	if !slices.Contains(Roles, n.Role) {
		return "", nil, fmt.Errorf("%w: role %q: choose one of %s", ErrInvalid, n.Role, strings.Join(Roles, ", "))
	}
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" || len(n.Name) > 100 {
		return "", nil, fmt.Errorf("%w: token name: give what the token is for, 1 to 100 characters (such as \"ci\")", ErrInvalid)
	}
	if !n.Expires.IsZero() && !n.Expires.After(s.now()) {
		return "", nil, fmt.Errorf("%w: token expiry %s: choose a time in the future", ErrInvalid, n.Expires.Format(time.RFC3339))
	}
	raw, err := randomSecret()
	if err != nil {
		return "", nil, err
	}
	secret := tokenPrefix + raw
	t := &TokenInfo{Name: n.Name, Role: n.Role, CreatedAt: s.now()}
	var expires, owner any
	if !n.Expires.IsZero() {
		t.ExpiresAt = n.Expires.UTC()
		expires = t.ExpiresAt
	}
	if n.User != 0 {
		owner = n.User
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO api_token (organization, role, name, hash, created_at, expires_at, app_user) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			n.Organization, n.Role, n.Name, tokenHash(secret), t.CreatedAt, expires, owner).Scan(&t.ID); err != nil {
			return err
		}
		detail := "role " + n.Role + ", no expiry"
		if expires != nil {
			detail = "role " + n.Role + ", expires " + t.ExpiresAt.Format(time.RFC3339)
		}
		return s.audit(ctx, tx, n.Organization, "token.create", fmt.Sprintf("token/%d", t.ID), n.Name+": "+detail)
	})
	if err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	return secret, t, nil
}

// ListTokens lists an organization's API tokens, newest first, revoked ones included.
func (s *DB) ListTokens(ctx context.Context, org int64) ([]TokenInfo, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT t.id, t.name, t.role, COALESCE(u.email, ''), COALESCE(t.app_user, 0), t.created_at, t.expires_at, t.last_used_at, t.revoked_at
		FROM api_token t LEFT JOIN app_user u ON u.id = t.app_user WHERE t.organization = ? ORDER BY t.id DESC`), org)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []TokenInfo
	for rows.Next() {
		var t TokenInfo
		var expires, used, revoked sql.NullTime
		if err := rows.Scan(&t.ID, &t.Name, &t.Role, &t.Owner, &t.OwnerID, &t.CreatedAt, &expires, &used, &revoked); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = t.CreatedAt.UTC(), fromNullTime(expires), fromNullTime(used), fromNullTime(revoked)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes an API token of org at once; revoking a revoked token changes nothing.
func (s *DB) RevokeToken(ctx context.Context, org, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var name string
		var revoked sql.NullTime
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT name, revoked_at FROM api_token WHERE id = ? AND organization = ?`), id, org).Scan(&name, &revoked); err != nil {
			return fmt.Errorf("token %d: %w", id, mapError(err))
		}
		if revoked.Valid {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE api_token SET revoked_at = ? WHERE id = ?`), s.now(), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, org, "token.revoke", fmt.Sprintf("token/%d", id), name+": revoked")
	})
}

// tokenUseGranularity is how often the last use of a token is written: at most once a minute,
// so a busy CI token does not turn every read into a write.
const tokenUseGranularity = time.Minute

// noteTokenUse records that a token was used now (at most once per tokenUseGranularity).
func (s *DB) noteTokenUse(ctx context.Context, id int64) error {
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.rebind(`UPDATE api_token SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`),
			now, id, now.Add(-tokenUseGranularity))
		return err
	})
}
