-- Art. 14 details: the intermediate report a CSIRT may request (Art. 14(6)), the CSIRT each stage
-- went to (Art. 14(7)), and why a case was closed without a final report.
ALTER TABLE cra_case ADD COLUMN closed_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE cra_case ADD COLUMN intermediate_requested_at TIMESTAMPTZ;
ALTER TABLE cra_case ADD COLUMN intermediate_due TIMESTAMPTZ;
ALTER TABLE cra_case ADD COLUMN intermediate_requested_by TEXT NOT NULL DEFAULT '';
ALTER TABLE cra_case_stage DROP CONSTRAINT cra_case_stage_stage_check;
ALTER TABLE cra_case_stage ADD CONSTRAINT cra_case_stage_stage_check
	CHECK (stage IN ('early-warning', 'notification', 'intermediate-report', 'final-report'));
ALTER TABLE cra_case_stage ADD COLUMN recipient TEXT NOT NULL DEFAULT ''; -- the CSIRT that received it (Art. 14(7))
