-- Settlement identity includes the hospital, and versions only move forward
-- (docs/formats.md). A document that would take over another hospital's setl_id, or that is
-- older than the current version, is not stored as a version: it is recorded here.
CREATE TABLE settlement_refusals (
    id           INTEGER PRIMARY KEY,
    setl_id      TEXT    NOT NULL,
    hospital     TEXT    NOT NULL, -- the hospital the refused document names
    owner        TEXT    NOT NULL, -- the hospital of the current version
    reason       TEXT    NOT NULL, -- other_hospital | older_version
    content_hash BLOB    NOT NULL,
    detail       TEXT    NOT NULL,
    at           INTEGER NOT NULL
) STRICT;
CREATE INDEX settlement_refusals_setl ON settlement_refusals (setl_id);

-- Findings belong to a settlement version: when a version is replaced, its findings are
-- superseded (kept, never counted).
UPDATE findings SET status = 'superseded'
    WHERE settlement_row IN (SELECT id FROM settlements WHERE current = 0) AND status != 'superseded';

-- setl_end_date of each version, for the forward-only rule.
ALTER TABLE settlements ADD COLUMN setl_end INTEGER;
