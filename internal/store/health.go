package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// ComponentFacts are what component health reads of an uploaded component beyond its name,
// version and purl (native-code markers, CPEs, the extractor, code size).
type ComponentFacts struct {
	Ref           string
	CPEs          []string
	SourcePackage string
	Native        string // what shows native code ("cgo", "node-gyp", ...); "" when nothing does
	Extractor     string
	Size          int64
}

// insertComponentFacts records the facts of an SBOM's components in tx. Components without any
// fact need no row.
func (s *DB) insertComponentFacts(ctx context.Context, tx *sql.Tx, sbom int64, facts []ComponentFacts) error {
	if len(facts) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, s.rebind(`INSERT INTO component_health_fact (sbom, ref, cpes, source_package, native, extractor, size)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sbom, ref) DO NOTHING`))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, f := range facts {
		if _, err := stmt.ExecContext(ctx, sbom, f.Ref, strings.Join(f.CPEs, "\n"), f.SourcePackage, f.Native, f.Extractor, f.Size); err != nil {
			return fmt.Errorf("facts of component %q: %w", f.Ref, err)
		}
	}
	return nil
}

// ReleaseComponentFacts returns the facts of a release's components by component ref.
func (s *DB) ReleaseComponentFacts(ctx context.Context, release int64) (map[string]ComponentFacts, error) {
	rows, err := s.reader().QueryContext(ctx, s.rebind(`SELECT f.ref, f.cpes, f.source_package, f.native, f.extractor, f.size
		FROM component_health_fact f JOIN sbom b ON b.id = f.sbom WHERE b.release = ? ORDER BY f.sbom, f.ref`), release)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := map[string]ComponentFacts{}
	for rows.Next() {
		var f ComponentFacts
		var cpes string
		if err := rows.Scan(&f.Ref, &cpes, &f.SourcePackage, &f.Native, &f.Extractor, &f.Size); err != nil {
			return nil, err
		}
		if cpes != "" {
			f.CPEs = strings.Split(cpes, "\n")
		}
		out[f.Ref] = f
	}
	return out, rows.Err()
}
