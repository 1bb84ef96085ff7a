-- Where-used and the inventory of critical components at millions of occurrences.
-- The lookup index gains the release, so that the releases an advisory's ranges affect are
-- listed in release order from the index alone (a page then reads only the rows it shows,
-- instead of one table row per match). It replaces the narrower one.
-- The release index gains the base purl, the version and the direct flag: one organization's
-- where-used seeks its own releases (a handful of index entries, not every occurrence of a
-- component used everywhere), and the inventory reads (release, base purl, direct) from the
-- index rather than from the wide table. The release-only index is its prefix and goes.
-- PostgreSQL's indexes, unlike SQLite's, do not carry the row id: the lookup and base purl
-- indexes end in it, so that a page is chosen by an index-only scan, not by reading a table
-- row per match.
DROP INDEX component_lookup_match;
CREATE INDEX component_lookup_release ON component(lookup, ecosystem, match_version, vcs_commit, release, id);
DROP INDEX component_base;
CREATE INDEX component_base ON component(base_purl, version, release, id);
CREATE INDEX component_release_base ON component(release, base_purl, version, direct);
DROP INDEX component_release;
