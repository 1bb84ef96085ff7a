-- Market surveillance procedures of CRA Chapter V (Art. 54, 58): one row per procedure an
-- authority opened about a product, and its events in order (finding, corrective-action period,
-- provisional measures, objection, decision, closure). The clocks follow from the events.
CREATE TABLE procedure (
	id         INTEGER PRIMARY KEY,
	authority  INTEGER NOT NULL REFERENCES organization(id),
	kind       TEXT NOT NULL,
	product    INTEGER NOT NULL REFERENCES product(id),
	title      TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX procedure_authority ON procedure(authority, id);
CREATE TABLE procedure_event (
	procedure INTEGER NOT NULL REFERENCES procedure(id),
	seq       INTEGER NOT NULL,
	action    TEXT NOT NULL,
	at        TIMESTAMP NOT NULL,
	due       TIMESTAMP,
	reason    TEXT NOT NULL,
	actor     TEXT NOT NULL,
	PRIMARY KEY (procedure, seq)
);
