package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// FirmwareAnalysisByID returns one stored analysis, or ErrNotFound.
func (s *DB) FirmwareAnalysisByID(ctx context.Context, id int64) (*FirmwareAnalysis, error) {
	return scanFirmwareAnalysis(s.sql.QueryRowContext(ctx, s.rebind(`SELECT `+firmwareAnalysisColumns+` FROM firmware_analysis WHERE id = ?`), id))
}

const firmwareAnalysisColumns = `id, release, image_name, sha256, size, report, analysed_at, job, sbom`

func scanFirmwareAnalysis(row *sql.Row) (*FirmwareAnalysis, error) {
	a := &FirmwareAnalysis{}
	var report string
	var job, sb sql.NullInt64
	if err := row.Scan(&a.ID, &a.Release, &a.ImageName, &a.SHA256, &a.Size, &report, &a.AnalysedAt, &job, &sb); err != nil {
		return nil, mapError(err)
	}
	a.Report, a.Job, a.SBOM = []byte(report), job.Int64, sb.Int64
	return a, nil
}

// FirmwareAnalyses lists the analyses of a release, newest first, without their reports.
func (s *DB) FirmwareAnalyses(ctx context.Context, release int64) ([]FirmwareAnalysis, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id, release, image_name, sha256, size, analysed_at FROM firmware_analysis
		WHERE release = ? ORDER BY id DESC`), release)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []FirmwareAnalysis
	for rows.Next() {
		var a FirmwareAnalysis
		if err := rows.Scan(&a.ID, &a.Release, &a.ImageName, &a.SHA256, &a.Size, &a.AnalysedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// FirmwareStored is what AddJobFirmwareAnalysis stored.
type FirmwareStored struct {
	SBOM    int64 // the SBOM of the inventory (0: none)
	NewSBOM bool  // SBOM was stored with the analysis, not found on the release already
	Before  bool  // an earlier run of the job had stored the analysis: nothing was stored now
}

// AddJobFirmwareAnalysis stores the analysis a job made and the SBOM of its inventory (nil:
// none) in one transaction. The SBOM is not stored again when the release already has one with
// the same SHA-256 (that one's id is returned).
//
// A job stores its result once: run again because its server stopped between storing and
// finishing it, it finds what it stored before (by a.Job) and gets that analysis and SBOM back
// (Before) instead of a second copy with a second ledger statement.
func (s *DB) AddJobFirmwareAnalysis(ctx context.Context, a *FirmwareAnalysis, b *SBOMContent) (FirmwareStored, error) {
	var out FirmwareStored
	if a.Job == 0 {
		return out, fmt.Errorf("firmware analysis of release %d without its job: %w", a.Release, ErrInvalid)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = FirmwareStored{}
		var sb sql.NullInt64
		err := tx.QueryRowContext(ctx, s.rebind(`SELECT id, analysed_at, sbom FROM firmware_analysis WHERE job = ?`), a.Job).Scan(&a.ID, &a.AnalysedAt, &sb)
		if err == nil {
			a.AnalysedAt, a.SBOM, out.SBOM, out.Before = a.AnalysedAt.UTC(), sb.Int64, sb.Int64, true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if b != nil {
			switch err := tx.QueryRowContext(ctx, s.rebind(`SELECT id FROM sbom WHERE release = ? AND sha256 = ?`), a.Release, b.SHA256).Scan(&out.SBOM); {
			case errors.Is(err, sql.ErrNoRows):
				doc, err := s.insertSBOM(ctx, tx, a.Release, *b)
				if err != nil {
					return fmt.Errorf("SBOM of the inventory: %w", err)
				}
				out.SBOM, out.NewSBOM = doc.ID, true
			case err != nil:
				return err
			}
		}
		return s.insertFirmwareAnalysis(ctx, tx, a, out.SBOM)
	})
	if err != nil {
		return FirmwareStored{}, fmt.Errorf("store firmware analysis of release %d: %w", a.Release, mapError(err))
	}
	return out, nil
}

// FirmwareAnalysisOfJob returns the analysis a job stored, or ErrNotFound.
func (s *DB) FirmwareAnalysisOfJob(ctx context.Context, job int64) (*FirmwareAnalysis, error) {
	return scanFirmwareAnalysis(s.sql.QueryRowContext(ctx, s.rebind(`SELECT `+firmwareAnalysisColumns+` FROM firmware_analysis WHERE job = ?`), job))
}
