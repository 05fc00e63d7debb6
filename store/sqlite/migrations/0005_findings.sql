-- Audit findings (智能审核). Created here so that pricing can exclude cases with confirmed
-- findings from overspend sharing; the audit stage fills it.
CREATE TABLE findings (
    id             INTEGER PRIMARY KEY,
    settlement_row INTEGER NOT NULL REFERENCES settlements (id),
    setl_id        TEXT    NOT NULL,
    hospital       TEXT    NOT NULL,
    feedetl_sn     TEXT    NOT NULL, -- empty for settlement-level findings
    category       TEXT    NOT NULL,
    rule_id        TEXT    NOT NULL,
    severity       TEXT    NOT NULL,
    amount_fen     INTEGER NOT NULL,
    evidence       TEXT    NOT NULL,
    related        TEXT    NOT NULL, -- serials of related (not violating) lines, comma-separated
    kb_version     TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'open', -- open | confirmed | dismissed
    discharge_time INTEGER,
    created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX findings_settlement ON findings (settlement_row);
CREATE INDEX findings_hospital ON findings (hospital, category);
