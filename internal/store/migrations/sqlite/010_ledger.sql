-- The ledger: an append-only log of signed statements (internal/ledger), its Merkle tree's stored
-- hashes (golang.org/x/mod/sumdb/tlog layout), the contents the statements commit to, and the
-- install's signing key.
CREATE TABLE ledger_key (
	id           INTEGER PRIMARY KEY CHECK (id = 1),
	origin       TEXT NOT NULL,
	signer_key   TEXT NOT NULL,
	verifier_key TEXT NOT NULL,
	created_at   TIMESTAMP NOT NULL
);
CREATE TABLE ledger_entry (
	idx          INTEGER PRIMARY KEY,
	organization INTEGER,
	subject      TEXT NOT NULL,
	leaf         TEXT NOT NULL -- the statement's canonical JSON, as hashed
);
CREATE INDEX ledger_entry_subject ON ledger_entry(subject, idx);
CREATE TABLE ledger_content (
	idx     INTEGER PRIMARY KEY REFERENCES ledger_entry(idx),
	salt    BLOB NOT NULL,
	content BLOB NOT NULL
);
CREATE TABLE ledger_hash (
	id   INTEGER PRIMARY KEY,
	hash BLOB NOT NULL
);
