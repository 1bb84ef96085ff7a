-- The ledger's subject map (internal/ledger, subjects.go): the nodes of the sparse Merkle tree
-- from each subject to its count of statements and latest statement, as of the log's first
-- `size` entries, with its root then (ledger_subject_map), and, per entry appended since the map exists, the map's
-- root after it, which the checkpoint of that size signs. Entries from before keep no root:
-- their checkpoints stay as they were signed and cosigned.
ALTER TABLE ledger_entry ADD COLUMN subject_root BYTEA;
CREATE TABLE ledger_subject_node (
	path BYTEA PRIMARY KEY,
	hash BYTEA NOT NULL,
	leaf BYTEA -- a subject's leaf: key, count, latest index, latest record hash; NULL inside
);
CREATE TABLE ledger_subject_map (
	id   BIGINT PRIMARY KEY CHECK (id = 1),
	size BIGINT NOT NULL,
	root BYTEA NOT NULL
);
