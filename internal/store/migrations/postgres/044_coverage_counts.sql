-- What the portfolio sums of a release's coverage, kept beside the coverage record by the
-- transaction that writes it: the components, those the matching checked, and per base
-- ecosystem the components with a version to compare (checked whenever the database holds
-- advisories of that ecosystem, so a page restates them against the database as it is). The
-- portfolio adds these up per product instead of decoding every release's record per request.
ALTER TABLE release_coverage ADD COLUMN components BIGINT NOT NULL DEFAULT 0;
ALTER TABLE release_coverage ADD COLUMN checked BIGINT NOT NULL DEFAULT 0;
CREATE TABLE release_coverage_ecosystem (
	release   BIGINT NOT NULL REFERENCES release(id),
	ecosystem TEXT NOT NULL,
	checkable BIGINT NOT NULL,
	PRIMARY KEY (release, ecosystem)
);
UPDATE release_coverage SET components = COALESCE((coverage::jsonb->>'components')::bigint, 0),
	checked = COALESCE((coverage::jsonb->>'checked')::bigint, 0);
INSERT INTO release_coverage_ecosystem (release, ecosystem, checkable)
	SELECT c.release, COALESCE(e->>'ecosystem', ''), sum(COALESCE((e->>'components')::bigint, 0) - COALESCE((e->>'noVersion')::bigint, 0)
		- COALESCE((e->>'unparseableVersion')::bigint, 0))
	FROM release_coverage c, jsonb_array_elements(CASE WHEN jsonb_typeof(c.coverage::jsonb->'ecosystems') = 'array'
		THEN c.coverage::jsonb->'ecosystems' ELSE '[]'::jsonb END) e
	GROUP BY c.release, COALESCE(e->>'ecosystem', '');
