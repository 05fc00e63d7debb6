-- PostgreSQL mirror of store/sqlite/migrations/0007_nhsa.sql (same version, same tables and columns;
-- INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, row ids → identity columns).
-- Judgements returned by the online audit (3101/3102) and the hospital's feedback (3103).
CREATE TABLE nhsa_judgements (
    jr_id         TEXT PRIMARY KEY,
    infno         TEXT    NOT NULL,
    msgid         TEXT    NOT NULL,
    hospital      TEXT    NOT NULL,
    person        TEXT    NOT NULL, -- pseudonym
    mdtrt_id      TEXT    NOT NULL,
    rule_id       TEXT    NOT NULL,
    category      TEXT    NOT NULL,
    amount_fen    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    feedback_type TEXT    NOT NULL DEFAULT '',
    feedback_text TEXT    NOT NULL DEFAULT '',
    feedback_at   BIGINT
);
