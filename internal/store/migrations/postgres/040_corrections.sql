-- Corrections and triage that carries over: a VEX decision may end (a suppression with an
-- expiry: once it passes, the finding is open again), and people comment on a finding.
ALTER TABLE vex_statement ADD COLUMN expires_at TIMESTAMPTZ;
-- Set once the expiry has passed and the release's counts were taken again without the decision.
ALTER TABLE vex_statement ADD COLUMN expiry_counted BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE finding_comment (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	release       BIGINT NOT NULL REFERENCES release(id),
	vulnerability TEXT NOT NULL,
	purl          TEXT NOT NULL,
	author        TEXT NOT NULL,
	body          TEXT NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX finding_comment_key ON finding_comment(release, vulnerability, purl, id);
-- Inherited decisions are looked up by vulnerability and package across a product's releases.
CREATE INDEX vex_statement_key ON vex_statement(vulnerability, purl, release, id);
