-- Cockpit accounts and sessions. Passwords are bcrypt hashes; session tokens are stored as
-- SHA-256 hashes, so that a copy of the database does not hold live sessions.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL, -- admin | analyst | hospital
    hospital      TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
