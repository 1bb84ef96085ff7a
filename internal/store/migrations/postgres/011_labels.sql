-- Conformity and labels: firmware analyses of releases, attestations of requirements, security
-- labels with their history, and the issuer's Ed25519 signing key.
CREATE TABLE firmware_analysis (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	release     BIGINT NOT NULL REFERENCES release(id),
	image_name  TEXT NOT NULL,
	sha256      TEXT NOT NULL,
	size        BIGINT NOT NULL,
	report      TEXT NOT NULL, -- the analysis as JSON (layers, components, weaknesses)
	analysed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX firmware_analysis_release ON firmware_analysis(release, id);
CREATE TABLE attestation (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	release       BIGINT NOT NULL REFERENCES release(id),
	requirement   TEXT NOT NULL,
	document_name TEXT NOT NULL,
	sha256        TEXT NOT NULL,
	signed_by     TEXT NOT NULL,
	role          TEXT NOT NULL,
	content       BYTEA, -- the document itself, when it was uploaded
	created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX attestation_release ON attestation(release, requirement);
CREATE TABLE label_key (
	id          BIGINT PRIMARY KEY CHECK (id = 1),
	private_key TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL
);
CREATE TABLE label (
	id           TEXT PRIMARY KEY,
	organization BIGINT NOT NULL REFERENCES organization(id),
	release      BIGINT NOT NULL REFERENCES release(id),
	catalogs     TEXT NOT NULL,
	status       TEXT NOT NULL,
	reason       TEXT NOT NULL,
	seq          INTEGER NOT NULL,
	issued_at    TIMESTAMPTZ NOT NULL,
	since        TIMESTAMPTZ NOT NULL,
	statement    TEXT NOT NULL -- the current signed statement (DSSE envelope)
);
CREATE INDEX label_release ON label(release);
CREATE TABLE label_event (
	id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	label     TEXT NOT NULL REFERENCES label(id),
	seq       INTEGER NOT NULL,
	status    TEXT NOT NULL,
	reason    TEXT NOT NULL,
	actor     TEXT NOT NULL,
	at        TIMESTAMPTZ NOT NULL,
	statement TEXT NOT NULL,
	UNIQUE (label, seq)
);
-- The BSI TR-03183-2 fields an uploaded SBOM lacks (JSON list); NULL when not checked.
ALTER TABLE sbom ADD COLUMN tr03183_missing TEXT;
-- Witness cosignatures of ledger checkpoints (C2SP tlog-cosignature lines), by checkpoint size.
CREATE TABLE ledger_cosignature (
	size       BIGINT NOT NULL,
	witness    TEXT NOT NULL,
	line       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (size, witness)
);
-- What the manufacturer declared about a product's design (JSON object of fact name to true or
-- false), which settles the conditions of conditional requirements.
ALTER TABLE product ADD COLUMN facts TEXT;
