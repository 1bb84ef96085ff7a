-- What component health reads of an uploaded component beyond name, version and purl: its CPEs
-- (newline-separated), its distribution source package, a native-code marker, the extractor
-- that found it and its code size in bytes (0 when unknown). One row per component that has any.
CREATE TABLE component_health_fact (
	sbom           INTEGER NOT NULL REFERENCES sbom(id),
	ref            TEXT NOT NULL,
	cpes           TEXT NOT NULL,
	source_package TEXT NOT NULL,
	native         TEXT NOT NULL,
	extractor      TEXT NOT NULL,
	size           INTEGER NOT NULL,
	PRIMARY KEY (sbom, ref)
);
