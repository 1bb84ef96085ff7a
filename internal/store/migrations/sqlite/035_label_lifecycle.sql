-- Label lifecycle: the end of a label's term (NULL for labels issued before labels had one), an
-- announced revocation (who, why, when it takes effect: after the manufacturer's comment period,
-- or at once), and since when the issuer applies each catalog version (a label lapses six weeks
-- after a catalog it was issued against changes).
ALTER TABLE label ADD COLUMN valid_until TIMESTAMP;
ALTER TABLE label ADD COLUMN revoke_by TEXT;
ALTER TABLE label ADD COLUMN revoke_reason TEXT;
ALTER TABLE label ADD COLUMN revoke_at TIMESTAMP;
CREATE TABLE catalog_version (
	catalog TEXT NOT NULL,
	version TEXT NOT NULL,
	since   TIMESTAMP NOT NULL,
	PRIMARY KEY (catalog, version)
);
