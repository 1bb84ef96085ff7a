-- What a finished job produced, for the caller that queued it (a firmware analysis: the stored
-- analysis and the SBOM made from it), as JSON; '' while there is none.
ALTER TABLE job ADD COLUMN result TEXT NOT NULL DEFAULT '';
