-- What a manufacturer shows its market surveillance authority (CRA Chapter V): the products it
-- registered with an authority (the authority's view is scoped to them), the facts of a release
-- the Art. 58(1) checklist reads (NULL: not recorded, never taken as compliant), and the state
-- of each log an authority witnesses (the last checkpoint it cosigned, and its last refusal).
CREATE TABLE product_registration (
	authority     BIGINT NOT NULL REFERENCES organization(id),
	product       BIGINT NOT NULL REFERENCES product(id),
	registered_at TIMESTAMPTZ NOT NULL,
	actor         TEXT NOT NULL,
	PRIMARY KEY (authority, product)
);
CREATE INDEX product_registration_product ON product_registration(product);
CREATE TABLE release_market_record (
	release            BIGINT PRIMARY KEY REFERENCES release(id),
	ce_marking         BOOLEAN,
	declaration        BOOLEAN,
	notified_body      TEXT NOT NULL,
	technical_docs     BOOLEAN,
	disclosure_contact TEXT NOT NULL,
	updated_at         TIMESTAMPTZ NOT NULL
);
CREATE TABLE witnessed_log (
	witness      TEXT NOT NULL,
	origin       TEXT NOT NULL,
	organization BIGINT NOT NULL REFERENCES organization(id),
	log_key      TEXT NOT NULL,
	size         BIGINT NOT NULL,
	note         TEXT NOT NULL,
	cosigned_at  TIMESTAMPTZ NOT NULL,
	refusal      TEXT NOT NULL,
	refused_at   TIMESTAMPTZ,
	PRIMARY KEY (witness, origin)
);
CREATE INDEX witnessed_log_org ON witnessed_log(organization);
