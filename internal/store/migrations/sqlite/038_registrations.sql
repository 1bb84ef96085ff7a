-- What a manufacturer shows its market surveillance authority (CRA Chapter V): the products it
-- registered with an authority (the authority's view is scoped to them), the facts of a release
-- the Art. 58(1) checklist reads (NULL: not recorded, never taken as compliant), and the state
-- of each log an authority witnesses (the last checkpoint it cosigned, and its last refusal).
CREATE TABLE product_registration (
	authority     INTEGER NOT NULL REFERENCES organization(id),
	product       INTEGER NOT NULL REFERENCES product(id),
	registered_at TIMESTAMP NOT NULL,
	actor         TEXT NOT NULL,
	PRIMARY KEY (authority, product)
);
CREATE INDEX product_registration_product ON product_registration(product);
CREATE TABLE release_market_record (
	release            INTEGER PRIMARY KEY REFERENCES release(id),
	ce_marking         INTEGER,
	declaration        INTEGER,
	notified_body      TEXT NOT NULL,
	technical_docs     INTEGER,
	disclosure_contact TEXT NOT NULL,
	updated_at         TIMESTAMP NOT NULL
);
CREATE TABLE witnessed_log (
	witness      TEXT NOT NULL,
	origin       TEXT NOT NULL,
	organization INTEGER NOT NULL REFERENCES organization(id),
	log_key      TEXT NOT NULL,
	size         INTEGER NOT NULL,
	note         TEXT NOT NULL,
	cosigned_at  TIMESTAMP NOT NULL,
	refusal      TEXT NOT NULL,
	refused_at   TIMESTAMP,
	PRIMARY KEY (witness, origin)
);
CREATE INDEX witnessed_log_org ON witnessed_log(organization);
