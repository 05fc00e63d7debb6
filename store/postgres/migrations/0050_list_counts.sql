-- PostgreSQL mirror of store/sqlite/migrations/0050_list_counts.sql (same version, same tables and columns;
-- INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, row ids → identity columns).
-- Settlement-list quality (结算清单质量): ingest's counts of records read and rejected per
-- hospital and discharge month, with the reasons, for the evaluation's list pass rate.
-- Counts accumulate over ingest runs (a re-submitted record is counted again).
CREATE TABLE list_counts (
    hospital TEXT COLLATE "C"    NOT NULL,
    month    TEXT COLLATE "C"    NOT NULL, -- YYYY-MM
    read     BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    PRIMARY KEY (hospital, month)
);

CREATE TABLE list_reject_reasons (
    hospital TEXT COLLATE "C"    NOT NULL,
    month    TEXT COLLATE "C"    NOT NULL,
    code     TEXT COLLATE "C"    NOT NULL, -- ingest problem code
    n        BIGINT NOT NULL, -- records rejected for it
    PRIMARY KEY (hospital, month, code)
);
