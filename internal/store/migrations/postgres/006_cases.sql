-- CRA Art. 14 reporting cases: one per actively exploited vulnerability of a product (opened by
-- monitoring) or per severe incident (opened by hand), with the stages reported.
CREATE TABLE cra_case (
	id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization     BIGINT NOT NULL REFERENCES organization(id),
	product          BIGINT REFERENCES product(id),
	type             TEXT NOT NULL CHECK (type IN ('exploited', 'incident')),
	vulnerability    TEXT NOT NULL,
	title            TEXT NOT NULL,
	evidence         TEXT NOT NULL,
	aware_at         TIMESTAMPTZ NOT NULL,
	fix_available_at TIMESTAMPTZ,
	closed_at        TIMESTAMPTZ,
	created_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX cra_case_exploited ON cra_case(product, vulnerability) WHERE type = 'exploited';
CREATE INDEX cra_case_org ON cra_case(organization, id);
CREATE TABLE cra_case_stage (
	case_id      BIGINT NOT NULL REFERENCES cra_case(id),
	stage        TEXT NOT NULL CHECK (stage IN ('early-warning', 'notification', 'final-report')),
	report       TEXT NOT NULL, -- the report as submitted (JSON)
	receipt      TEXT NOT NULL,
	submitted_by TEXT NOT NULL,
	submitted_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (case_id, stage)
);
