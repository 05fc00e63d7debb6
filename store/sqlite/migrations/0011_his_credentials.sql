-- HIS credentials for the online audit interfaces 3101/3102/3103 (docs/security.md). The
-- shared secret is sealed (AES-256-GCM under a key derived from the secret key file, which
-- may live outside the data directory), so that a copy of the database alone cannot sign.
CREATE TABLE his_credentials (
    key_id       TEXT PRIMARY KEY,
    hospital     TEXT    NOT NULL,
    sealed       BLOB    NOT NULL,
    rate_per_min INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    expires_at   INTEGER,          -- set by revoke or rotate (with a grace period)
    note         TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX his_credentials_hospital ON his_credentials (hospital);

-- Every call of 3101/3102/3103: who (credential, hospital, address), what (interface, msgid,
-- counts, outcome) and when. A msgid is accepted once per credential (replay defence).
CREATE TABLE his_calls (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL, -- unix milliseconds
    key_id     TEXT    NOT NULL,
    hospital   TEXT    NOT NULL,
    remote     TEXT    NOT NULL,
    infno      TEXT    NOT NULL,
    msgid      TEXT    NOT NULL,
    accepted   INTEGER NOT NULL, -- 1: authenticated and within limits
    outcome    TEXT    NOT NULL, -- ok | a refusal code (unsigned, bad_signature, …) | error
    patients   INTEGER NOT NULL DEFAULT 0,
    results    INTEGER NOT NULL DEFAULT 0,
    elapsed_ms INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX his_calls_replay ON his_calls (key_id, msgid) WHERE accepted = 1;
CREATE INDEX his_calls_at ON his_calls (at);

-- The bureau keeps the full evidence of an online judgement; the hospital is told only what
-- concerns its own stays.
ALTER TABLE nhsa_judgements ADD COLUMN evidence TEXT NOT NULL DEFAULT '';
