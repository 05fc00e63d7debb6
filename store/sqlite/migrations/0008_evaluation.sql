-- Evaluation runs, the adjustments they lead to, and appeals against adjustments and
-- findings. Results and inputs are kept as JSON so every adjustment traces to its inputs.
CREATE TABLE evaluation_runs (
    id             INTEGER PRIMARY KEY,
    period         TEXT    NOT NULL,
    system_version TEXT    NOT NULL,
    results        TEXT    NOT NULL, -- JSON []evaluate.Result
    facts          TEXT    NOT NULL, -- JSON []evaluate.Facts
    created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE linkage_adjustments (
    run_id       INTEGER NOT NULL REFERENCES evaluation_runs (id),
    hospital     TEXT    NOT NULL,
    adjustment   TEXT    NOT NULL, -- JSON evaluate.Adjustment
    coef_after   REAL    NOT NULL,
    budget_after INTEGER NOT NULL,
    overridden   TEXT    NOT NULL DEFAULT '', -- appeal that reversed it
    PRIMARY KEY (run_id, hospital)
) STRICT;

CREATE TABLE appeals (
    id           INTEGER PRIMARY KEY,
    hospital     TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    published_at INTEGER NOT NULL,
    filed_at     INTEGER NOT NULL,
    state        TEXT    NOT NULL,
    decide_by    INTEGER NOT NULL,
    decided_by   TEXT    NOT NULL DEFAULT '',
    decided_at   INTEGER,
    decision_why TEXT    NOT NULL DEFAULT '',
    filed_by     TEXT    NOT NULL DEFAULT ''
) STRICT;

-- Every state-changing action, with who and when.
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    detail TEXT    NOT NULL
) STRICT;
