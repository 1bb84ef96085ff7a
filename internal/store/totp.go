package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// challengeTTL is how long a login that passed the password waits for its second factor, and
// challengeAttempts how many wrong codes it takes before it is dropped.
const (
	challengeTTL      = 5 * time.Minute
	challengeAttempts = 5
	recoveryCodes     = 10
)

// TOTPCheck verifies a code against a TOTP secret and returns the time step it belongs to.
type TOTPCheck func(secret, code string) (step int64, ok bool)

// TOTP returns a user's TOTP secret ("" when none) and whether it is confirmed (required at login).
func (s *DB) TOTP(ctx context.Context, id int64) (string, bool, error) {
	var secret string
	var enabled bool
	if err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT totp_secret, totp_enabled FROM app_user WHERE id = ?`), id).Scan(&secret, &enabled); err != nil {
		return "", false, fmt.Errorf("user %d: %w", id, mapError(err))
	}
	return secret, enabled, nil
}

// BeginTOTP keeps a new TOTP secret for a user who has none confirmed; it becomes required at
// login once confirmed with a code (ConfirmTOTP). The secret is stored as it is: both sides
// need it to compute codes.
func (s *DB) BeginTOTP(ctx context.Context, id int64, secret string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.rebind(`UPDATE app_user SET totp_secret = ? WHERE id = ? AND totp_enabled = ?`), secret, id, false)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: a second factor is already enrolled: remove it first", ErrInvalid)
		}
		return nil
	})
}

// ConfirmTOTP turns the second factor on once the user proved with a code that the
// authenticator has the secret, and returns fresh recovery codes (shown once, stored hashed).
func (s *DB) ConfirmTOTP(ctx context.Context, id int64, code string, check TOTPCheck) ([]string, error) {
	codes := make([]string, recoveryCodes)
	for i := range codes {
		c, err := recoveryCode()
		if err != nil {
			return nil, err
		}
		codes[i] = c
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var secret, email string
		var org int64
		var enabled bool
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT totp_secret, totp_enabled, email, organization FROM app_user WHERE id = ?`), id).Scan(&secret, &enabled, &email, &org); err != nil {
			return mapError(err)
		}
		if secret == "" || enabled {
			return fmt.Errorf("%w: no enrolment in progress: start again", ErrInvalid)
		}
		step, ok := check(secret, code)
		if !ok {
			return ErrBadCode
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE app_user SET totp_enabled = ?, totp_last_step = ? WHERE id = ?`), true, step, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM recovery_code WHERE app_user = ?`), id); err != nil {
			return err
		}
		for _, c := range codes {
			if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO recovery_code (app_user, hash) VALUES (?, ?)`), id, tokenHash(c)); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, org, "user.totp-enable", "user/"+email, fmt.Sprintf("second factor enrolled; %d recovery codes issued", len(codes)))
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// RemoveTOTP turns a user's second factor off after checking the password.
func (s *DB) RemoveTOTP(ctx context.Context, id int64, password string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var hash, email string
		var org int64
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT password_hash, email, organization FROM app_user WHERE id = ?`), id).Scan(&hash, &email, &org); err != nil {
			return mapError(err)
		}
		if !checkPassword(hash, password) {
			return fmt.Errorf("%w: the password is wrong", ErrInvalid)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE app_user SET totp_enabled = ?, totp_secret = '', totp_last_step = 0 WHERE id = ?`), false, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM recovery_code WHERE app_user = ?`), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, org, "user.totp-disable", "user/"+email, "second factor removed by the user")
	})
}

// recoveryCode returns a code of 10 characters from an alphabet without look-alikes (50 bits).
func recoveryCode() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	raw := make([]byte, 10)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	var b strings.Builder
	for i, c := range raw {
		if i == 5 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return b.String(), nil
}

// ChallengeUser returns the user a login challenge in force is for (ErrUnauthorized for one that
// is unknown, expired or used up), so that attempts can be counted against the account first.
func (s *DB) ChallengeUser(ctx context.Context, challenge string) (*User, error) {
	u := &User{}
	var expires time.Time
	var attempts int
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT c.expires_at, c.attempts, u.id, u.organization, o.name, u.email, u.role
		FROM login_challenge c JOIN app_user u ON u.id = c.app_user JOIN organization o ON o.id = u.organization
		WHERE c.hash = ? AND u.disabled_at IS NULL`), tokenHash(challenge)).Scan(&expires, &attempts, &u.ID, &u.Organization, &u.OrgName, &u.Email, &u.Role)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (!expires.After(s.now()) || attempts >= challengeAttempts) {
		return nil, ErrUnauthorized
	}
	if err != nil {
		return nil, fmt.Errorf("login challenge: %w", err)
	}
	return u, nil
}

// openChallenge records a login that passed the password and returns its secret.
func (s *DB) openChallenge(ctx context.Context, id int64) (string, error) {
	secret, err := randomSecret()
	if err != nil {
		return "", err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM login_challenge WHERE expires_at < ?`), s.now()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO login_challenge (hash, app_user, expires_at) VALUES (?, ?, ?)`), tokenHash(secret), id, s.now().Add(challengeTTL))
		return err
	})
	return secret, err
}

// CompleteChallenge finishes a login with a TOTP code (each time step is accepted once) or an
// unused recovery code, and opens a session. A challenge takes challengeAttempts wrong codes,
// then it is dropped and the login starts again with the password.
func (s *DB) CompleteChallenge(ctx context.Context, challenge, code string, check TOTPCheck, ttl time.Duration) (string, *User, error) {
	code = strings.ToLower(strings.TrimSpace(code))
	u := &User{}
	var good bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var expires time.Time
		var attempts int
		var secret string
		var last int64
		err := tx.QueryRowContext(ctx, s.rebind(`SELECT c.expires_at, c.attempts, u.id, u.organization, o.name, u.email, u.role, u.totp_secret, u.totp_last_step
			FROM login_challenge c JOIN app_user u ON u.id = c.app_user JOIN organization o ON o.id = u.organization
			WHERE c.hash = ? AND u.disabled_at IS NULL AND u.totp_enabled = ?`), tokenHash(challenge), true).
			Scan(&expires, &attempts, &u.ID, &u.Organization, &u.OrgName, &u.Email, &u.Role, &secret, &last)
		if errors.Is(err, sql.ErrNoRows) || err == nil && (!expires.After(s.now()) || attempts >= challengeAttempts) {
			return ErrUnauthorized
		}
		if err != nil {
			return err
		}
		if strings.Contains(code, "-") {
			res, err := tx.ExecContext(ctx, s.rebind(`UPDATE recovery_code SET used_at = ? WHERE app_user = ? AND hash = ? AND used_at IS NULL`), s.now(), u.ID, tokenHash(code))
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			if good = n == 1; good {
				if err := s.audit(WithActor(ctx, "user:"+u.Email), tx, u.Organization, "user.recovery-code", "user/"+u.Email, "signed in with a recovery code"); err != nil {
					return err
				}
			}
		} else if step, ok := check(secret, code); ok && step > last {
			good = true
			if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE app_user SET totp_last_step = ? WHERE id = ?`), step, u.ID); err != nil {
				return err
			}
		}
		if !good {
			_, err := tx.ExecContext(ctx, s.rebind(`UPDATE login_challenge SET attempts = attempts + 1 WHERE hash = ?`), tokenHash(challenge))
			return err
		}
		_, err = tx.ExecContext(ctx, s.rebind(`DELETE FROM login_challenge WHERE hash = ?`), tokenHash(challenge))
		return err
	})
	if err != nil {
		return "", nil, err
	}
	if !good {
		return "", nil, ErrBadCode
	}
	session, err := s.StartSession(ctx, u.ID, ttl)
	if err != nil {
		return "", nil, err
	}
	return session, u, nil
}
