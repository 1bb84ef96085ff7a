-- The ledger's subject map (internal/ledger, subjects.go): the nodes of the sparse Merkle tree
-- from each subject to its count of statements and latest statement, as of the log's first
-- `size` entries, with its root then (ledger_subject_map), and, per entry appended since the map exists, the map's
-- root after it, which the checkpoint of that size signs. Entries from before keep no root:
-- their checkpoints stay as they were signed and cosigned.
ALTER TABLE ledger_entry ADD COLUMN subject_root BLOB;
CREATE TABLE ledger_subject_node (
	path BLOB PRIMARY KEY,
	hash BLOB NOT NULL,
	leaf BLOB -- a subject's leaf: key, count, latest index, latest record hash; NULL inside
);
CREATE TABLE ledger_subject_map (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	size INTEGER NOT NULL,
	root BLOB NOT NULL
);
