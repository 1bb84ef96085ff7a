-- The ledger: an append-only log of signed statements (internal/ledger), its Merkle tree's stored
-- hashes (golang.org/x/mod/sumdb/tlog layout), the contents the statements commit to, and the
-- install's signing key.
CREATE TABLE ledger_key (
	id           BIGINT PRIMARY KEY CHECK (id = 1),
	origin       TEXT NOT NULL,
	signer_key   TEXT NOT NULL,
	verifier_key TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL
);
CREATE TABLE ledger_entry (
	idx          BIGINT PRIMARY KEY,
	organization BIGINT,
	subject      TEXT NOT NULL,
	leaf         TEXT NOT NULL -- the statement's canonical JSON, as hashed
);
CREATE INDEX ledger_entry_subject ON ledger_entry(subject, idx);
CREATE TABLE ledger_content (
	idx     BIGINT PRIMARY KEY REFERENCES ledger_entry(idx),
	salt    BYTEA NOT NULL,
	content BYTEA NOT NULL
);
CREATE TABLE ledger_hash (
	id   BIGINT PRIMARY KEY,
	hash BYTEA NOT NULL
);
