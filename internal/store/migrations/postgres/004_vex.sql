-- VEX statements about findings of a release: append-only, the newest per (release,
-- vulnerability, package) is in force; the rows are the audit trail of the triage.
CREATE TABLE vex_statement (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	release       BIGINT NOT NULL REFERENCES release(id),
	vulnerability TEXT NOT NULL,
	purl          TEXT NOT NULL,
	status        TEXT NOT NULL CHECK (status IN ('not_affected', 'affected', 'fixed', 'under_investigation')),
	justification TEXT NOT NULL,
	impact        TEXT NOT NULL,
	action        TEXT NOT NULL,
	author        TEXT NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX vex_statement_release ON vex_statement(release, vulnerability, purl, id);
