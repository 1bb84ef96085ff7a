-- Continuous monitoring: how each component is looked up in the vulnerability database (so that
-- an update re-matches only the components it touched), the findings in force per release,
-- durable background jobs, notification channels and their deliveries, and the audit trail.
ALTER TABLE component ADD COLUMN ecosystem TEXT NOT NULL DEFAULT '';
ALTER TABLE component ADD COLUMN lookup TEXT NOT NULL DEFAULT '';
ALTER TABLE component ADD COLUMN match_version TEXT NOT NULL DEFAULT '';
ALTER TABLE component ADD COLUMN vcs_commit TEXT NOT NULL DEFAULT '';
CREATE INDEX component_lookup ON component(lookup, ecosystem);

CREATE TABLE finding (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	release       BIGINT NOT NULL REFERENCES release(id),
	vulnerability TEXT NOT NULL,
	purl          TEXT NOT NULL,
	severity      TEXT NOT NULL,
	score         DOUBLE PRECISION NOT NULL,
	exploited     BOOLEAN NOT NULL,
	data          TEXT NOT NULL, -- the finding as JSON
	first_seen    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL,
	resolved_at   TIMESTAMPTZ,     -- no longer matches: advisory withdrawn or changed, component gone
	UNIQUE (release, vulnerability, purl)
);
CREATE INDEX finding_open ON finding(release, resolved_at);

-- Jobs: times are Unix milliseconds so that both databases compare them as numbers.
CREATE TABLE job (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind        TEXT NOT NULL,
	payload     TEXT NOT NULL,
	dedup       TEXT UNIQUE, -- at most one unfinished job per key; NULL once finished
	state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
	attempts    BIGINT NOT NULL DEFAULT 0,
	run_after   BIGINT NOT NULL,
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0,
	progress    TEXT NOT NULL DEFAULT '',
	last_error  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	finished_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX job_ready ON job(state, run_after);

CREATE TABLE notification_channel (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization BIGINT NOT NULL REFERENCES organization(id),
	kind         TEXT NOT NULL CHECK (kind IN ('webhook', 'email')),
	target       TEXT NOT NULL,
	secret       TEXT NOT NULL,
	events       TEXT NOT NULL, -- comma-separated event kinds; empty: all
	created_at   TIMESTAMPTZ NOT NULL,
	removed_at   TIMESTAMPTZ
);
CREATE TABLE notification (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	channel      BIGINT NOT NULL REFERENCES notification_channel(id),
	event_id     TEXT NOT NULL,
	kind         TEXT NOT NULL,
	payload      TEXT NOT NULL,
	state        TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts     BIGINT NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	created_at   TIMESTAMPTZ NOT NULL,
	delivered_at TIMESTAMPTZ,
	UNIQUE (channel, event_id)
);

CREATE TABLE audit_event (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization BIGINT,
	actor        TEXT NOT NULL,
	action       TEXT NOT NULL,
	subject      TEXT NOT NULL,
	detail       TEXT NOT NULL,
	at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_event_org ON audit_event(organization, id);

-- Counts of the findings in force per release, kept by the transaction that changes findings:
-- portfolio and product pages read these instead of aggregating every finding.
CREATE TABLE release_summary (
	release   BIGINT PRIMARY KEY REFERENCES release(id),
	exploited BIGINT NOT NULL,
	critical  BIGINT NOT NULL,
	high      BIGINT NOT NULL,
	medium    BIGINT NOT NULL,
	low       BIGINT NOT NULL,
	total     BIGINT NOT NULL
);
