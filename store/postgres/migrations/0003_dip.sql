-- PostgreSQL mirror of store/sqlite/migrations/0003_dip.sql (same version, same tables and columns;
-- INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, row ids → identity columns).
-- DIP group per settlement version and catalogue version; group empty (with a reason) when
-- the catalogue has no group for the case.
CREATE TABLE dip_assignments (
    settlement_row BIGINT NOT NULL REFERENCES settlements (id),
    setl_id        TEXT COLLATE "C"    NOT NULL,
    catalogue      TEXT COLLATE "C"    NOT NULL,
    dip_group      TEXT COLLATE "C"    NOT NULL,
    score          DOUBLE PRECISION    NOT NULL,
    reason         TEXT COLLATE "C"    NOT NULL,
    PRIMARY KEY (settlement_row, catalogue)
);
