-- PostgreSQL mirror of store/sqlite/migrations/0006_findings_unique.sql (same version, same tables and columns;
-- INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, row ids → identity columns).
-- Re-auditing finds the same violations again: one row per settlement version, rule and
-- line, so that a confirmed or dismissed finding keeps its status.
CREATE UNIQUE INDEX findings_unique ON findings (settlement_row, rule_id, feedetl_sn);
