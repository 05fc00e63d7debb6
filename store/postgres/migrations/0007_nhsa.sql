-- PostgreSQL mirror of store/sqlite/migrations/0007_nhsa.sql (same version, same tables and columns;
-- INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, row ids → identity columns).
-- Judgements returned by the online audit (3101/3102) and the hospital's feedback (3103).
CREATE TABLE nhsa_judgements (
    jr_id         TEXT COLLATE "C" PRIMARY KEY,
    infno         TEXT COLLATE "C"    NOT NULL,
    msgid         TEXT COLLATE "C"    NOT NULL,
    hospital      TEXT COLLATE "C"    NOT NULL,
    person        TEXT COLLATE "C"    NOT NULL, -- pseudonym
    mdtrt_id      TEXT COLLATE "C"    NOT NULL,
    rule_id       TEXT COLLATE "C"    NOT NULL,
    category      TEXT COLLATE "C"    NOT NULL,
    amount_fen    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    feedback_type TEXT COLLATE "C"    NOT NULL DEFAULT '',
    feedback_text TEXT COLLATE "C"    NOT NULL DEFAULT '',
    feedback_at   BIGINT
);
