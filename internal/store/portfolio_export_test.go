package store

import "context"

// ForgetBasePURLs empties every component's base purl, as stores from before the column hold
// them, and BackfillBasePURL fills them as opening the store does.
func (s *DB) ForgetBasePURLs(ctx context.Context) error {
	_, err := s.sql.ExecContext(ctx, `UPDATE component SET base_purl = ''`)
	return err
}

func (s *DB) BackfillBasePURL(ctx context.Context) error { return s.backfillBasePURL(ctx) }
