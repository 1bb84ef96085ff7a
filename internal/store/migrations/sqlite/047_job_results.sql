-- The job that made an analysis or a lab run (NULL: one stored by a request), so that a job
-- run again after its server stopped between storing its result and finishing finds the result
-- instead of storing a second one; and the SBOM a firmware analysis stored with it.
ALTER TABLE firmware_analysis ADD COLUMN job INTEGER;
ALTER TABLE firmware_analysis ADD COLUMN sbom INTEGER; -- no reference: an SBOM removed with a reason leaves the analysis
CREATE UNIQUE INDEX firmware_analysis_job ON firmware_analysis(job) WHERE job IS NOT NULL;
ALTER TABLE lab_run ADD COLUMN job INTEGER;
CREATE UNIQUE INDEX lab_run_job ON lab_run(job) WHERE job IS NOT NULL;
