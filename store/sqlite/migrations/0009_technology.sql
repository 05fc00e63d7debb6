-- Technology evaluations (技术评价): results with their technology coefficients, per run.
CREATE TABLE technology_runs (
    id         INTEGER PRIMARY KEY,
    period     TEXT    NOT NULL,
    version    TEXT    NOT NULL,
    results    TEXT    NOT NULL, -- JSON []evaluate.TechResult
    created_at INTEGER NOT NULL
) STRICT;
