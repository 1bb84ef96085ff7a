-- Organizations, products, releases and their SBOMs: the inventory every later capability
-- (findings, CRA cases, labels, ledger) refers to.
CREATE TABLE organization (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	size_class TEXT NOT NULL CHECK (size_class IN ('micro', 'small', 'medium', 'large')),
	authority  INTEGER NOT NULL DEFAULT 0,
	created_at TIMESTAMP NOT NULL
);
CREATE TABLE product (
	id           INTEGER PRIMARY KEY,
	organization INTEGER NOT NULL REFERENCES organization(id),
	name         TEXT NOT NULL,
	category     TEXT NOT NULL,
	cra_class    TEXT NOT NULL CHECK (cra_class IN ('default', 'important-i', 'important-ii', 'critical')),
	created_at   TIMESTAMP NOT NULL,
	UNIQUE (organization, name)
);
CREATE TABLE release (
	id               INTEGER PRIMARY KEY,
	product          INTEGER NOT NULL REFERENCES product(id),
	version          TEXT NOT NULL,
	placed_on_market TEXT,
	support_end      TEXT NOT NULL,
	created_at       TIMESTAMP NOT NULL,
	UNIQUE (product, version)
);
CREATE TABLE sbom (
	id          INTEGER PRIMARY KEY,
	release     INTEGER NOT NULL REFERENCES release(id),
	format      TEXT NOT NULL,
	sha256      TEXT NOT NULL,
	components  INTEGER NOT NULL,
	uploaded_at TIMESTAMP NOT NULL,
	UNIQUE (release, sha256)
);
CREATE TABLE component (
	id       INTEGER PRIMARY KEY,
	sbom     INTEGER NOT NULL REFERENCES sbom(id),
	release  INTEGER NOT NULL REFERENCES release(id),
	ref      TEXT NOT NULL,
	name     TEXT NOT NULL,
	version  TEXT NOT NULL,
	purl     TEXT NOT NULL,
	direct   INTEGER NOT NULL,
	UNIQUE (sbom, ref)
);
CREATE INDEX component_purl ON component(purl);
CREATE INDEX component_release ON component(release);
