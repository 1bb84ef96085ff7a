package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// AppendLegacyStatement appends a statement as the log did before statements were chained and
// checkpoints carried the subject map: no seq or prev in the statement, no subject map root
// beside it, the map not brought up to date. The shared store tests use it to check that such
// logs keep working.
func (s *DB) AppendLegacyStatement(ctx context.Context, org int64, typ, subject string, content any) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(idx) + 1, 0) FROM ledger_entry`).Scan(&n); err != nil {
			return err
		}
		body, err := json.Marshal(content)
		if err != nil {
			return err
		}
		salt, commitment := ledger.Commit(body)
		leaf := ledger.Statement{Type: typ, Subject: subject, Actor: actorOf(ctx), Time: s.now(), Commitment: commitment}.Leaf()
		hashes, err := tlog.StoredHashes(n, leaf, hashReader{ctx: ctx, s: s, q: tx})
		if err != nil {
			return err
		}
		for i, h := range hashes {
			if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO ledger_hash (id, hash) VALUES (?, ?)`), tlog.StoredHashIndex(0, n)+int64(i), h[:]); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO ledger_entry (idx, organization, subject, leaf) VALUES (?, ?, ?, ?)`), n, org, subject, string(leaf)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.rebind(`INSERT INTO ledger_content (idx, salt, content) VALUES (?, ?, ?)`), n, salt, body)
		return err
	})
}
