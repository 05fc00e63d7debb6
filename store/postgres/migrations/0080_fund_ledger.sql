-- PostgreSQL mirror of store/sqlite/migrations/0080_fund_ledger.sql (same version, same tables and columns;
-- INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, row ids → identity columns).
-- The bureau's fund ledger (基金台账, docs/formats.md): income, other expenditure and stated
-- opening balances by month and insurance type. Money in fen; opening_fen NULL when the
-- balance is carried forward. Loading a month again replaces it (the newer ledger wins).
CREATE TABLE fund_ledger (
    period      TEXT COLLATE "C"    NOT NULL,
    insutype    TEXT COLLATE "C"    NOT NULL,
    income_fen  BIGINT NOT NULL,
    other_fen   BIGINT NOT NULL,
    opening_fen BIGINT,
    insured     BIGINT NOT NULL DEFAULT 0,
    source      TEXT COLLATE "C"    NOT NULL,
    loaded_at   BIGINT NOT NULL,
    PRIMARY KEY (period, insutype)
);
