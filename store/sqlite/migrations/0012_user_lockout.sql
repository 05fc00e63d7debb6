-- Account state for the login policy (docs/security.md): failed attempts with a capped
-- backoff, a disabled flag, and who changed what. Existing rows start enabled and unlocked.
ALTER TABLE users ADD COLUMN failed_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
