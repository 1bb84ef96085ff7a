-- CSAF advisories as published (the signed bytes are what is served), and the provider's
-- OpenPGP signing key.
CREATE TABLE csaf_key (
	id          BIGINT PRIMARY KEY CHECK (id = 1),
	private_key TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL
);
CREATE TABLE advisory (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization  BIGINT NOT NULL REFERENCES organization(id),
	product       BIGINT NOT NULL REFERENCES product(id),
	vulnerability TEXT NOT NULL,
	tracking_id   TEXT NOT NULL UNIQUE,
	title         TEXT NOT NULL,
	document      TEXT NOT NULL,
	signature     TEXT NOT NULL,
	revisions     TEXT NOT NULL,
	initial_at    TIMESTAMPTZ NOT NULL,
	current_at    TIMESTAMPTZ NOT NULL,
	UNIQUE (product, vulnerability)
);
CREATE INDEX advisory_org ON advisory(organization, current_at);
