-- A job's input can change while it runs (an SBOM uploaded while its release is being matched):
-- enqueueing under the dedup key of a running job counts up its generation, the claim notes the
-- generation it started from, and a job that finishes behind its generation is queued again.
ALTER TABLE job ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job ADD COLUMN claimed_generation INTEGER NOT NULL DEFAULT 0;
-- The queue's depth and age by kind (status page, /metrics), and claims restricted to a lane.
CREATE INDEX job_kind_ready ON job(kind, state, run_after);
