-- Art. 14 details: the intermediate report a CSIRT may request (Art. 14(6)), the CSIRT each stage
-- went to (Art. 14(7)), and why a case was closed without a final report.
ALTER TABLE cra_case ADD COLUMN closed_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE cra_case ADD COLUMN intermediate_requested_at TIMESTAMP;
ALTER TABLE cra_case ADD COLUMN intermediate_due TIMESTAMP;
ALTER TABLE cra_case ADD COLUMN intermediate_requested_by TEXT NOT NULL DEFAULT '';
-- SQLite cannot change a CHECK constraint: the stage table is rebuilt with the new stage.
CREATE TABLE cra_case_stage_new (
	case_id      INTEGER NOT NULL REFERENCES cra_case(id),
	stage        TEXT NOT NULL CHECK (stage IN ('early-warning', 'notification', 'intermediate-report', 'final-report')),
	report       TEXT NOT NULL, -- the report as submitted (JSON)
	receipt      TEXT NOT NULL,
	submitted_by TEXT NOT NULL,
	submitted_at TIMESTAMP NOT NULL,
	recipient    TEXT NOT NULL DEFAULT '', -- the CSIRT that received it (Art. 14(7))
	PRIMARY KEY (case_id, stage)
);
INSERT INTO cra_case_stage_new (case_id, stage, report, receipt, submitted_by, submitted_at)
	SELECT case_id, stage, report, receipt, submitted_by, submitted_at FROM cra_case_stage;
DROP TABLE cra_case_stage;
ALTER TABLE cra_case_stage_new RENAME TO cra_case_stage;
