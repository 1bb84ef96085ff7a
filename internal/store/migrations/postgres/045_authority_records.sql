-- Products registered with a market surveillance authority that runs its own server: this
-- server pushes their records there, signed in its ledger.
CREATE TABLE remote_registration (
	product        BIGINT NOT NULL REFERENCES product(id),
	authority_url  TEXT NOT NULL,
	authority_name TEXT NOT NULL,
	registered_at  TIMESTAMPTZ NOT NULL,
	actor          TEXT NOT NULL,
	PRIMARY KEY (product, authority_url, authority_name)
);
-- On the authority's server: the latest record of each product a manufacturer on another
-- server registered with it, as verified (its ledger bundles, of the product and of each of its
-- cases, are kept to be checked again).
CREATE TABLE authority_record (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	authority       BIGINT NOT NULL REFERENCES organization(id),
	organization    BIGINT NOT NULL REFERENCES organization(id),
	origin          TEXT NOT NULL,
	product         BIGINT NOT NULL,
	facts           TEXT NOT NULL,
	statement_index BIGINT NOT NULL,
	checkpoint_size BIGINT NOT NULL,
	bundle          TEXT NOT NULL,
	case_bundles    TEXT NOT NULL,
	received_at     TIMESTAMPTZ NOT NULL,
	UNIQUE (authority, origin, product)
);
CREATE INDEX authority_record_org ON authority_record(organization);
