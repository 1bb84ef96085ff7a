-- What a finished job produced, for the caller that queued it (a firmware analysis: the stored
-- analysis and the SBOM made from it), as JSON; '' while there is none.
ALTER TABLE job ADD COLUMN result TEXT NOT NULL DEFAULT '';
-- A finished job shows no progress any more (its last heartbeat's words were kept before).
UPDATE job SET progress = '' WHERE state IN ('done', 'failed');
