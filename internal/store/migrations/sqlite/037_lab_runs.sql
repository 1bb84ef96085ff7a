-- Lab runs against a device running a release ('siegel lab run'): the result as JSON, with the
-- digest of its transcript, which verdicts cite as evidence.
CREATE TABLE lab_run (
	id                INTEGER PRIMARY KEY,
	release           INTEGER NOT NULL REFERENCES release(id),
	target            TEXT NOT NULL,
	transcript_sha256 TEXT NOT NULL,
	failed            INTEGER NOT NULL, -- checks that failed
	result            TEXT NOT NULL,    -- the run as internal/lab writes it (JSON)
	started_at        TIMESTAMP NOT NULL,
	created_at        TIMESTAMP NOT NULL
);
CREATE INDEX lab_run_release ON lab_run(release, id);
