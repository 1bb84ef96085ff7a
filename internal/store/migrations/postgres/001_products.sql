-- Organizations, products, releases and their SBOMs: the inventory every later capability
-- (findings, CRA cases, labels, ledger) refers to.
CREATE TABLE organization (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	size_class TEXT NOT NULL CHECK (size_class IN ('micro', 'small', 'medium', 'large')),
	authority  BOOLEAN NOT NULL DEFAULT false,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE product (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization BIGINT NOT NULL REFERENCES organization(id),
	name         TEXT NOT NULL,
	category     TEXT NOT NULL,
	cra_class    TEXT NOT NULL CHECK (cra_class IN ('default', 'important-i', 'important-ii', 'critical')),
	created_at   TIMESTAMPTZ NOT NULL,
	UNIQUE (organization, name)
);
CREATE TABLE release (
	id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	product          BIGINT NOT NULL REFERENCES product(id),
	version          TEXT NOT NULL,
	placed_on_market TEXT,
	support_end      TEXT NOT NULL,
	created_at       TIMESTAMPTZ NOT NULL,
	UNIQUE (product, version)
);
CREATE TABLE sbom (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	release     BIGINT NOT NULL REFERENCES release(id),
	format      TEXT NOT NULL,
	sha256      TEXT NOT NULL,
	components  INTEGER NOT NULL,
	uploaded_at TIMESTAMPTZ NOT NULL,
	UNIQUE (release, sha256)
);
CREATE TABLE component (
	id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	sbom     BIGINT NOT NULL REFERENCES sbom(id),
	release  BIGINT NOT NULL REFERENCES release(id),
	ref      TEXT NOT NULL,
	name     TEXT NOT NULL,
	version  TEXT NOT NULL,
	purl     TEXT NOT NULL,
	direct   BOOLEAN NOT NULL,
	UNIQUE (sbom, ref)
);
CREATE INDEX component_purl ON component(purl);
CREATE INDEX component_release ON component(release);
