-- Alerts (预警) from the monitor's rules. key deduplicates (rule|subject|period); state is
-- new, acknowledged or resolved; every state change is kept in alert_events with who, when
-- and the note. hospital is the hospital whose inbox also shows the alert ('' = bureau only).
CREATE TABLE alerts (
    key          TEXT PRIMARY KEY,
    rule         TEXT    NOT NULL,
    severity     TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    hospital     TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    value        REAL    NOT NULL,
    threshold    REAL    NOT NULL,
    message_zh   TEXT    NOT NULL,
    message_en   TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    delivered_at INTEGER
) STRICT;
CREATE INDEX alerts_hospital ON alerts (hospital, state);
CREATE TABLE alert_events (
    id       INTEGER PRIMARY KEY,
    key      TEXT    NOT NULL REFERENCES alerts (key),
    state    TEXT    NOT NULL,
    actor    TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    note     TEXT    NOT NULL
) STRICT;
CREATE INDEX alert_events_key ON alert_events (key);
