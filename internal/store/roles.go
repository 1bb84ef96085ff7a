package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// MayGrant reports whether a user of role may give an API token the role token: an
// administrator any role a user can have, everyone else their own role or read-only, so that a
// token never has rights its maker lacks.
func MayGrant(role, token string) bool {
	if role == "admin" {
		return slices.Contains(InviteRoles, token)
	}
	return slices.Contains(InviteRoles, role) && (token == role || token == "read-only")
}

// GrantableRoles lists the token roles a user of role may give, in InviteRoles' order.
func GrantableRoles(role string) []string {
	var out []string
	for _, r := range InviteRoles {
		if MayGrant(role, r) {
			out = append(out, r)
		}
	}
	return out
}

// SetUserRole gives a user of org another role, in one transaction with its audit entry and
// ledger statement (old and new role). The last active administrator cannot be given another
// role (ErrLastAdmin). The user's sessions take the new role at their next request; the user's
// API tokens with a role the new one may not give are revoked, so a demotion is not undone by
// a token made before it. A role the user already has changes nothing.
func (s *DB) SetUserRole(ctx context.Context, org, id int64, role string) error {
	if !slices.Contains(InviteRoles, role) {
		return fmt.Errorf("%w: role %q: choose one of %s", ErrInvalid, role, strings.Join(InviteRoles, ", "))
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var email, old string
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT email, role FROM app_user WHERE id = ? AND organization = ?`), id, org).Scan(&email, &old); err != nil {
			return fmt.Errorf("user %d: %w", id, mapError(err))
		}
		if old == role {
			return nil
		}
		if old == "admin" {
			if err := s.keepAnAdmin(ctx, tx, org, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE app_user SET role = ? WHERE id = ?`), role, id); err != nil {
			return mapError(err)
		}
		rows, err := tx.QueryContext(ctx, s.rebind(`SELECT id, role FROM api_token WHERE app_user = ? AND revoked_at IS NULL ORDER BY id`), id)
		if err != nil {
			return err
		}
		var revoke []int64
		for rows.Next() {
			var tid int64
			var trole string
			if err := rows.Scan(&tid, &trole); err != nil {
				rows.Close()
				return err
			}
			if !MayGrant(role, trole) {
				revoke = append(revoke, tid)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, tid := range revoke {
			if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE api_token SET revoked_at = ? WHERE id = ?`), s.now(), tid); err != nil {
				return err
			}
			if err := s.audit(ctx, tx, org, "token.revoke", fmt.Sprintf("token/%d", tid), "revoked: its owner "+email+" is no longer "+old); err != nil {
				return err
			}
		}
		subject := "user/" + email
		detail := fmt.Sprintf("role %s → %s", old, role)
		if len(revoke) > 0 {
			detail += fmt.Sprintf("; %d API tokens with rights the new role lacks revoked", len(revoke))
		}
		if err := s.audit(ctx, tx, org, "user.role", subject, detail); err != nil {
			return err
		}
		return s.appendLedger(ctx, tx, org, ledger.UserRoleChanged, subject, map[string]any{"old": old, "new": role, "revokedTokens": len(revoke)})
	})
}
