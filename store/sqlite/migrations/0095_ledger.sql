-- The tamper-evident ledger (防篡改留痕, docs/ledger.md). Triggers (created by the store from
-- its list of tracked tables, store/sqlite/ledger.go) append one entry per inserted, updated
-- or deleted row in the same transaction as the change; checkpoints sign the Merkle root of
-- the first `size` entries. No secondary index: appends stay cheap (ingest writes one entry
-- per settlement); lookups by object are rare and scan.
CREATE TABLE ledger (
    seq     INTEGER PRIMARY KEY,
    kind    TEXT    NOT NULL,
    ref     TEXT    NOT NULL,
    action  TEXT    NOT NULL, -- insert | update | delete | digest
    at      INTEGER NOT NULL,
    content TEXT    NOT NULL  -- canonical JSON of the row (large columns as their SHA-256)
);

CREATE TABLE ledger_checkpoints (
    size     INTEGER PRIMARY KEY,
    root     BLOB    NOT NULL,
    at       INTEGER NOT NULL,
    signed   TEXT    NOT NULL, -- the published text form
    frontier TEXT    NOT NULL  -- JSON: base64 compact-range hashes, to extend the tree without rereading it
);

-- Lineage (血缘): the files each settlement version came from.
CREATE TABLE ingest_batches (
    id         INTEGER PRIMARY KEY,
    file       TEXT    NOT NULL,
    sha256     TEXT    NOT NULL DEFAULT '',
    bytes      INTEGER NOT NULL DEFAULT 0,
    operator   TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    read       INTEGER NOT NULL DEFAULT 0,
    loaded     INTEGER NOT NULL DEFAULT 0,
    rejected   INTEGER NOT NULL DEFAULT 0,
    finished_at INTEGER
) STRICT;
ALTER TABLE settlements ADD COLUMN batch_id INTEGER;
ALTER TABLE settlements ADD COLUMN record_no INTEGER;
