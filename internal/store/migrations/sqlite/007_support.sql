-- CRA Art. 13(8): a support period shorter than five years needs the manufacturer's reasons.
ALTER TABLE release ADD COLUMN support_justification TEXT NOT NULL DEFAULT '';
