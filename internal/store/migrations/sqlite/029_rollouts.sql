-- Staged rollouts: each product's TUF update repository (its metadata files, the artifacts it
-- serves and its online snapshot/timestamp key; root and targets keys stay outside the store),
-- the devices that install from it, rollouts with their plan and decision state, and one row per
-- device and rollout in the plan's release order.
CREATE TABLE tuf_repository (
	product        INTEGER PRIMARY KEY REFERENCES product(id),
	online_key     TEXT NOT NULL, -- PEM (PKCS #8) of the Ed25519 snapshot and timestamp key
	targets_key_id TEXT NOT NULL, -- the TUF key id the targets role trusts
	created_at     TIMESTAMP NOT NULL
);
CREATE TABLE tuf_file (
	product INTEGER NOT NULL REFERENCES product(id),
	name    TEXT NOT NULL, -- as clients fetch it: 3.targets.json, timestamp.json
	role    TEXT NOT NULL,
	version INTEGER NOT NULL,
	body    BLOB NOT NULL,
	PRIMARY KEY (product, name)
);
CREATE TABLE tuf_blob (
	product INTEGER NOT NULL REFERENCES product(id),
	sha256  TEXT NOT NULL,
	length  INTEGER NOT NULL,
	content BLOB, -- NULL for an artifact published by reference
	PRIMARY KEY (product, sha256)
);
CREATE TABLE device (
	id             INTEGER PRIMARY KEY,
	product        INTEGER NOT NULL REFERENCES product(id),
	name           TEXT NOT NULL,
	token_hash     TEXT NOT NULL UNIQUE,
	hardware_class TEXT NOT NULL,
	region         TEXT NOT NULL,
	version        TEXT NOT NULL,
	last_seen      TIMESTAMP,
	created_at     TIMESTAMP NOT NULL,
	UNIQUE (product, name)
);
CREATE INDEX device_product ON device(product, hardware_class, region);
CREATE TABLE rollout (
	id         INTEGER PRIMARY KEY,
	product    INTEGER NOT NULL REFERENCES product(id),
	kind       TEXT NOT NULL, -- update, rollback
	parent     INTEGER REFERENCES rollout(id),
	version    TEXT NOT NULL,
	status     TEXT NOT NULL, -- running, paused, halted, completed
	reason     TEXT NOT NULL DEFAULT '',
	plan       TEXT NOT NULL, -- JSON of the plan
	state      TEXT NOT NULL, -- JSON of the decision state
	created_by TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX rollout_product ON rollout(product, id);
CREATE TABLE rollout_device (
	rollout          INTEGER NOT NULL REFERENCES rollout(id),
	device           INTEGER NOT NULL REFERENCES device(id),
	position         INTEGER NOT NULL, -- in the plan's release order
	target           TEXT NOT NULL,    -- the TUF target for the device's hardware class
	version          TEXT NOT NULL,    -- the version the device must boot
	previous         TEXT NOT NULL,    -- the version it ran when planned
	wave             INTEGER,
	assigned_at      TIMESTAMP,
	deadline         TIMESTAMP,
	event            TEXT NOT NULL DEFAULT '',
	reported_version TEXT NOT NULL DEFAULT '',
	reason           TEXT NOT NULL DEFAULT '',
	outcome          TEXT, -- NULL while open; the outcome's reason once judged
	success          BOOLEAN,
	observed         INTEGER, -- the order in which outcomes were counted by the gate
	updated_at       TIMESTAMP,
	PRIMARY KEY (rollout, device),
	UNIQUE (rollout, position)
);
CREATE INDEX rollout_device_poll ON rollout_device(device, assigned_at);
CREATE INDEX rollout_device_deadline ON rollout_device(deadline) WHERE outcome IS NULL;
