-- People who log in to the web UI, and their sessions. Passwords are stored as argon2id hashes;
-- sessions by the SHA-256 of their cookie value.
CREATE TABLE app_user (
	id            INTEGER PRIMARY KEY,
	organization  INTEGER NOT NULL REFERENCES organization(id),
	email         TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL CHECK (role IN ('admin', 'psirt', 'auditor', 'read-only', 'authority')),
	created_at    TIMESTAMP NOT NULL
);
CREATE TABLE session (
	hash       TEXT PRIMARY KEY,
	app_user   INTEGER NOT NULL REFERENCES app_user(id),
	expires_at TIMESTAMP NOT NULL
);
