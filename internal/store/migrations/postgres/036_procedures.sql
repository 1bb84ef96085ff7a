-- Market surveillance procedures of CRA Chapter V (Art. 54, 58): one row per procedure an
-- authority opened about a product, and its events in order (finding, corrective-action period,
-- provisional measures, objection, decision, closure). The clocks follow from the events.
CREATE TABLE procedure (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	authority  BIGINT NOT NULL REFERENCES organization(id),
	kind       TEXT NOT NULL,
	product    BIGINT NOT NULL REFERENCES product(id),
	title      TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX procedure_authority ON procedure(authority, id);
CREATE TABLE procedure_event (
	procedure BIGINT NOT NULL REFERENCES procedure(id),
	seq       INTEGER NOT NULL,
	action    TEXT NOT NULL,
	at        TIMESTAMPTZ NOT NULL,
	due       TIMESTAMPTZ,
	reason    TEXT NOT NULL,
	actor     TEXT NOT NULL,
	PRIMARY KEY (procedure, seq)
);
