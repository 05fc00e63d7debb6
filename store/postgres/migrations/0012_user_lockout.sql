-- PostgreSQL mirror of store/sqlite/migrations/0012_user_lockout.sql (same version, same tables and columns;
-- INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, row ids → identity columns).
-- Account state for the login policy (docs/security.md): failed attempts with a capped
-- backoff, a disabled flag, and who changed what. Existing rows start enabled and unlocked.
ALTER TABLE users ADD COLUMN failed_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;
