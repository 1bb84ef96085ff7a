-- The portfolio: where-used across releases and the inventory of critical components.
-- base_purl is the component's purl without version, qualifiers and subpath, normalized (the
-- store fills it in Go, also for rows stored before this migration): one index on it, with the
-- version and release, answers "which releases contain X, in which versions" from the index.
-- The lookup index grows by the version compared and the commit, so that the releases an
-- advisory's ranges affect are found from the index too; it replaces the narrower one.
-- devices_on_market is the number of devices of a release on the market as the manufacturer
-- declares it; NULL while not declared (unknown is not zero).
ALTER TABLE component ADD COLUMN base_purl TEXT NOT NULL DEFAULT '';
CREATE INDEX component_base ON component(base_purl, version, release);
CREATE INDEX component_lookup_match ON component(lookup, ecosystem, match_version, vcs_commit);
DROP INDEX component_lookup;
ALTER TABLE release ADD COLUMN devices_on_market BIGINT;
