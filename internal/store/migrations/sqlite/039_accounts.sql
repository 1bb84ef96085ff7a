-- Accounts a team lives in: invited users who set their own password, disabled users, an optional
-- TOTP second factor with recovery codes, users signed in through OpenID Connect, and API tokens
-- with an owner, an expiry, a last use and a revocation. Secrets are stored as SHA-256 digests.
ALTER TABLE app_user ADD COLUMN disabled_at TIMESTAMP;
ALTER TABLE app_user ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE app_user ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE app_user ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE app_user ADD COLUMN oidc_identity TEXT;
CREATE UNIQUE INDEX app_user_oidc_identity ON app_user (oidc_identity);
CREATE TABLE user_invitation (
	hash       TEXT PRIMARY KEY,
	app_user   INTEGER NOT NULL REFERENCES app_user(id),
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	used_at    TIMESTAMP
);
CREATE INDEX user_invitation_user ON user_invitation (app_user);
CREATE TABLE recovery_code (
	app_user INTEGER NOT NULL REFERENCES app_user(id),
	hash     TEXT NOT NULL,
	used_at  TIMESTAMP,
	PRIMARY KEY (app_user, hash)
);
-- A login that passed the password and waits for the second factor.
CREATE TABLE login_challenge (
	hash       TEXT PRIMARY KEY,
	app_user   INTEGER NOT NULL REFERENCES app_user(id),
	expires_at TIMESTAMP NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE api_token ADD COLUMN app_user INTEGER REFERENCES app_user(id);
ALTER TABLE api_token ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE api_token ADD COLUMN last_used_at TIMESTAMP;
ALTER TABLE api_token ADD COLUMN revoked_at TIMESTAMP;
