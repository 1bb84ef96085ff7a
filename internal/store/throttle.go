package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"time"
)

// Throttle is one counter of login attempts: at most Limit attempts under Key in each Window.
type Throttle struct {
	Key    string // such as "account:alice@example.com" or "client:192.0.2.7"
	Limit  int
	Window time.Duration
}

// MaxThrottleWindow is the longest window a Throttle may have (longer ones are cut to it): rows
// older than that are deleted by whichever attempt comes next.
const MaxThrottleWindow = time.Hour

// CountLoginAttempt counts one attempt under every key, in one transaction shared by all servers
// on the database, and returns how long the caller must wait when any counter is over its limit
// (0 when the attempt may go ahead). Counters live in fixed windows that start with their first
// attempt; rows of windows that ended are deleted on the way, so the table holds at most the keys
// seen within MaxThrottleWindow.
func (s *DB) CountLoginAttempt(ctx context.Context, at time.Time, keys ...Throttle) (wait time.Duration, err error) {
	now := at.Unix()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM login_throttle WHERE window_start < ?`), now-int64(MaxThrottleWindow.Seconds())); err != nil {
			return err
		}
		for _, k := range keys {
			win := int64(min(k.Window, MaxThrottleWindow).Seconds())
			var start, n int64
			err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO login_throttle (key, window_start, attempts) VALUES (?, ?, 1)
				ON CONFLICT (key) DO UPDATE SET
					attempts = CASE WHEN login_throttle.window_start <= ? THEN 1 ELSE login_throttle.attempts + 1 END,
					window_start = CASE WHEN login_throttle.window_start <= ? THEN ? ELSE login_throttle.window_start END
				RETURNING window_start, attempts`), throttleKey(k.Key), now, now-win, now-win, now).Scan(&start, &n)
			if err != nil {
				return err
			}
			if n > int64(k.Limit) {
				wait = max(wait, time.Duration(start+win-now)*time.Second)
			}
		}
		return nil
	})
	return wait, mapError(err)
}

// ResetLoginAttempts forgets the attempts counted under key (an account after a good login).
func (s *DB) ResetLoginAttempts(ctx context.Context, key string) error {
	_, err := s.sql.ExecContext(ctx, s.rebind(`DELETE FROM login_throttle WHERE key = ?`), throttleKey(key))
	return mapError(err)
}

// LoginThrottleRows is how many counters the table holds (for tests and metrics).
func (s *DB) LoginThrottleRows(ctx context.Context) (int, error) {
	var n int
	err := s.sql.QueryRowContext(ctx, `SELECT count(*) FROM login_throttle`).Scan(&n)
	return n, err
}

func throttleKey(k string) string {
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:])
}
