-- Value-based chronic care (价值医疗): family-doctor contracts (签约) and value settlement runs.
-- A contract is keyed by person, institution and start date, so that re-ingesting the
-- registry updates a contract's team or end instead of duplicating it.
CREATE TABLE contracts (
    person      TEXT    NOT NULL, -- keyed HMAC of psn_no
    institution TEXT    NOT NULL,
    team        TEXT    NOT NULL DEFAULT '',
    start_date  TEXT    NOT NULL, -- YYYY-MM-DD
    end_date    TEXT    NOT NULL DEFAULT '', -- YYYY-MM-DD, inclusive; empty when open
    PRIMARY KEY (person, institution, start_date)
) STRICT;
CREATE INDEX contracts_institution ON contracts (institution);

-- One row per value settlement run: the measures and the settlement as JSON, the policy
-- version that priced it.
CREATE TABLE value_runs (
    id          INTEGER PRIMARY KEY,
    period      TEXT    NOT NULL,
    version     TEXT    NOT NULL, -- definitions version
    policy      TEXT    NOT NULL, -- policy version
    measures    TEXT    NOT NULL, -- JSON: institution and team results
    settlement  TEXT    NOT NULL, -- JSON: institution settlements
    created_at  INTEGER NOT NULL
) STRICT;

-- The care gaps of a run: who has not been tested, who is uncontrolled.
CREATE TABLE value_gaps (
    run_id      INTEGER NOT NULL REFERENCES value_runs (id),
    institution TEXT    NOT NULL,
    team        TEXT    NOT NULL,
    measure     TEXT    NOT NULL,
    person      TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    count       INTEGER NOT NULL,
    day         TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    setl_id     TEXT    NOT NULL
) STRICT;
CREATE INDEX value_gaps_run ON value_gaps (run_id, institution, measure);
