-- The other ids of a finding's vulnerability (its record's aliases, a JSON array), kept beside
-- the finding so that the release page, which reads the findings of a product's earlier
-- releases to find the vulnerabilities a release fixed, reads them without its whole record.
ALTER TABLE finding ADD COLUMN aliases TEXT NOT NULL DEFAULT '[]';
UPDATE finding SET aliases = (data::jsonb -> 'aliases')::text WHERE jsonb_typeof(data::jsonb -> 'aliases') = 'array';
