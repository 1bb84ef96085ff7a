-- The Member State of main establishment (CRA Art. 14(7)): its CSIRT coordinator receives the
-- reports, and legal periods run in its time zone and calendar (Reg. 1182/71). holiday_region
-- selects a regional set of public holidays where the State has them. steward marks an
-- open-source software steward (CRA Art. 3(14)), which is not fined (Art. 64(10)(b)).
ALTER TABLE organization ADD COLUMN member_state TEXT NOT NULL DEFAULT '';
ALTER TABLE organization ADD COLUMN holiday_region TEXT NOT NULL DEFAULT '';
ALTER TABLE organization ADD COLUMN steward INTEGER NOT NULL DEFAULT 0;
