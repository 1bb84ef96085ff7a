-- Findings that no source rates, counted apart: a summary of severities never drops them.
ALTER TABLE release_summary ADD COLUMN unrated BIGINT NOT NULL DEFAULT 0;
UPDATE release_summary SET unrated = (SELECT count(*) FROM finding f
	WHERE f.release = release_summary.release AND f.resolved_at IS NULL
	AND f.severity NOT IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NONE')
	AND COALESCE((SELECT v.status FROM vex_statement v WHERE v.release = f.release AND v.vulnerability = f.vulnerability
		AND v.purl = f.purl ORDER BY v.id DESC LIMIT 1), '') NOT IN ('not_affected', 'fixed'));

-- What the last matching of a release checked against what: per ecosystem, the components
-- checked and not checked (and why) and the advisories; the age of each feed (match.Coverage
-- as JSON). A release without a row was never matched.
CREATE TABLE release_coverage (
	release    BIGINT PRIMARY KEY REFERENCES release(id),
	coverage   TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
