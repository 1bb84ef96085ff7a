-- API tokens: only a hash is stored; the token is shown once, when it is created.
CREATE TABLE api_token (
	id           INTEGER PRIMARY KEY,
	organization INTEGER NOT NULL REFERENCES organization(id),
	role         TEXT NOT NULL CHECK (role IN ('admin', 'psirt', 'auditor', 'read-only', 'authority')),
	name         TEXT NOT NULL,
	hash         TEXT NOT NULL UNIQUE,
	created_at   TIMESTAMP NOT NULL
);
