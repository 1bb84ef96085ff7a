-- CRA Art. 13(8) third subparagraph: a support period under five years must correspond to the
-- time the product is expected to be in use; the manufacturer records that time and what the
-- expectation rests on (the second subparagraph's matters).
ALTER TABLE release ADD COLUMN support_expected_use_months INTEGER NOT NULL DEFAULT 0;
ALTER TABLE release ADD COLUMN support_basis TEXT NOT NULL DEFAULT '';
