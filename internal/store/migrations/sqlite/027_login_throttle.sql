-- Login attempts per account and per client, counted in fixed windows and shared by every server
-- on the database. Keys are SHA-256 digests (of "account:EMAIL" or "client:ADDRESS"), so a row
-- has a fixed size whatever a client sends; rows of windows that ended are deleted as new
-- attempts come in, which bounds the table by the attempts of one window.
CREATE TABLE login_throttle (
	key          TEXT PRIMARY KEY,
	window_start INTEGER NOT NULL, -- unix seconds
	attempts     INTEGER NOT NULL
);
CREATE INDEX login_throttle_window ON login_throttle (window_start);
