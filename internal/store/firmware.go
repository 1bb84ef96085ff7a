package store

import "context"

// FirmwareAnalysisByID returns one stored analysis, or ErrNotFound.
func (s *DB) FirmwareAnalysisByID(ctx context.Context, id int64) (*FirmwareAnalysis, error) {
	a := &FirmwareAnalysis{}
	var report string
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT id, release, image_name, sha256, size, report, analysed_at FROM firmware_analysis
		WHERE id = ?`), id).Scan(&a.ID, &a.Release, &a.ImageName, &a.SHA256, &a.Size, &report, &a.AnalysedAt)
	if err != nil {
		return nil, mapError(err)
	}
	a.Report = []byte(report)
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
