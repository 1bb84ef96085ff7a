package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// enqueueMatch queues the matching of a release after an upload; one running already, which may
// have read the components before the upload, runs again when it finishes. A full matching of the release
// already waiting in the bulk lane (after a first import) moves to the uploads lane, so that the
// upload's findings do not wait behind the re-matching of every other release.
func (s *DB) enqueueMatch(ctx context.Context, tx *sql.Tx, release int64) error {
	key := fmt.Sprintf("match-release/%d", release)
	added, err := s.enqueue(ctx, tx, "match-release", map[string]int64{"release": release}, key, time.Time{}, true)
	if err != nil || added {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE job SET kind = 'match-release' WHERE dedup = ? AND state = 'queued'`), key); err != nil {
		return fmt.Errorf("enqueue match-release: %w", err)
	}
	return nil
}

// ReleasesByLookup lists, in ascending order, the releases with a component looked up under one of
// the (base ecosystem, lookup name) keys: the releases an update of the vulnerability database
// touched, which re-matching then splits among jobs.
func (s *DB) ReleasesByLookup(ctx context.Context, keys [][2]string) ([]int64, error) {
	seen := map[int64]bool{}
	for len(keys) > 0 {
		n := min(len(keys), 200)
		batch := keys[:n]
		keys = keys[n:]
		names := make([]any, 0, n)
		want := map[[2]string]bool{}
		for _, k := range batch {
			names = append(names, k[1])
			want[k] = true
		}
		rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT DISTINCT release, ecosystem, lookup FROM component
			WHERE lookup IN (?`+strings.Repeat(", ?", n-1)+`)`), names...)
		if err != nil {
			return nil, mapError(err)
		}
		for rows.Next() {
			var id int64
			var eco, lookup string
			if err := rows.Scan(&id, &eco, &lookup); err != nil {
				rows.Close()
				return nil, err
			}
			base, _, _ := strings.Cut(eco, ":")
			if want[[2]string{base, lookup}] {
				seen[id] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]int64, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}
