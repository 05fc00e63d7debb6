-- PostgreSQL mirror of store/sqlite/migrations/0002_groupings.sql (same version, same tables and columns;
-- INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, row ids → identity columns).
-- DRG results per settlement version and scheme version: several schemes can be kept side
-- by side, and a result always names the scheme that produced it.
CREATE TABLE groupings (
    settlement_row BIGINT NOT NULL REFERENCES settlements (id),
    setl_id        TEXT    NOT NULL,
    scheme         TEXT    NOT NULL,
    scheme_version TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    outcome        TEXT    NOT NULL,
    mdc            TEXT    NOT NULL,
    adrg           TEXT    NOT NULL,
    drg            TEXT    NOT NULL,
    drg_name       TEXT    NOT NULL,
    failed_rule    TEXT    NOT NULL,
    grouped_at     BIGINT NOT NULL,
    PRIMARY KEY (settlement_row, scheme, scheme_version)
);
CREATE INDEX groupings_drg ON groupings (scheme, scheme_version, drg);
