package store

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// eachOccurrencePostgres is EachOccurrence on PostgreSQL through the connection's own pgx
// protocol: the rows arrive in binary and are read in place, without database/sql converting
// every value of a million rows into a fresh Go value.
func (s *DB) eachOccurrencePostgres(ctx context.Context, query string, fn func(release int64, base []byte, direct bool) error) error {
	conn, err := s.sql.Conn(ctx)
	if err != nil {
		return mapError(err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("occurrences: the PostgreSQL connection is a %T, not pgx's", dc)
		}
		rows, err := sc.Conn().Query(ctx, query, pgx.QueryResultFormats{pgx.BinaryFormatCode})
		if err != nil {
			return mapError(err)
		}
		defer rows.Close()
		for rows.Next() {
			v := rows.RawValues()
			if len(v) != 3 || len(v[0]) != 8 || len(v[2]) != 1 {
				return fmt.Errorf("occurrences: unexpected row layout from PostgreSQL (%d columns)", len(v))
			}
			if err := fn(int64(binary.BigEndian.Uint64(v[0])), v[1], v[2][0] != 0); err != nil {
				return err
			}
		}
		return mapError(rows.Err())
	})
}
