-- Corrections and triage that carries over: a VEX decision may end (a suppression with an
-- expiry: once it passes, the finding is open again), and people comment on a finding.
ALTER TABLE vex_statement ADD COLUMN expires_at TIMESTAMP;
-- Set once the expiry has passed and the release's counts were taken again without the decision.
ALTER TABLE vex_statement ADD COLUMN expiry_counted INTEGER NOT NULL DEFAULT 0;
CREATE TABLE finding_comment (
	id            INTEGER PRIMARY KEY,
	release       INTEGER NOT NULL REFERENCES release(id),
	vulnerability TEXT NOT NULL,
	purl          TEXT NOT NULL,
	author        TEXT NOT NULL,
	body          TEXT NOT NULL,
	created_at    TIMESTAMP NOT NULL
);
CREATE INDEX finding_comment_key ON finding_comment(release, vulnerability, purl, id);
-- Inherited decisions are looked up by vulnerability and package across a product's releases.
CREATE INDEX vex_statement_key ON vex_statement(vulnerability, purl, release, id);
