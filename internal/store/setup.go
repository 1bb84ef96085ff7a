package store

import (
	"context"
	"fmt"
)

// setupLock is the key of the PostgreSQL advisory lock first-run set-up is done under.
const setupLock = 7201913

// WithSetupLock runs fn, the set-up a server does on its first start, so that servers starting
// together on one PostgreSQL take turns: each holds a session advisory lock while fn runs, and
// finds the work of the one before it done. SQLite has no lock that other processes see outside
// a transaction; there fn must settle a race through the unique constraints (ErrConflict).
func (s *DB) WithSetupLock(ctx context.Context, fn func() error) error {
	if s.dialect != Postgres {
		return fn()
	}
	conn, err := s.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, setupLock); err != nil {
		return fmt.Errorf("wait for another server's set-up: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, setupLock)
	return fn()
}
