-- PostgreSQL mirror of store/sqlite/migrations/0002_groupings.sql (same version, same tables and columns;
-- INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, row ids → identity columns).
-- DRG results per settlement version and scheme version: several schemes can be kept side
-- by side, and a result always names the scheme that produced it.
CREATE TABLE groupings (
    settlement_row BIGINT NOT NULL REFERENCES settlements (id),
    setl_id        TEXT COLLATE "C"    NOT NULL,
    scheme         TEXT COLLATE "C"    NOT NULL,
    scheme_version TEXT COLLATE "C"    NOT NULL,
    status         TEXT COLLATE "C"    NOT NULL,
    outcome        TEXT COLLATE "C"    NOT NULL,
    mdc            TEXT COLLATE "C"    NOT NULL,
    adrg           TEXT COLLATE "C"    NOT NULL,
    drg            TEXT COLLATE "C"    NOT NULL,
    drg_name       TEXT COLLATE "C"    NOT NULL,
    failed_rule    TEXT COLLATE "C"    NOT NULL,
    grouped_at     BIGINT NOT NULL,
    PRIMARY KEY (settlement_row, scheme, scheme_version)
);
CREATE INDEX groupings_drg ON groupings (scheme, scheme_version, drg);
