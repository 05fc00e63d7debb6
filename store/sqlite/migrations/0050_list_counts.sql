-- Settlement-list quality (结算清单质量): ingest's counts of records read and rejected per
-- hospital and discharge month, with the reasons, for the evaluation's list pass rate.
-- Counts accumulate over ingest runs (a re-submitted record is counted again).
CREATE TABLE list_counts (
    hospital TEXT    NOT NULL,
    month    TEXT    NOT NULL, -- YYYY-MM
    read     INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    PRIMARY KEY (hospital, month)
) STRICT;

CREATE TABLE list_reject_reasons (
    hospital TEXT    NOT NULL,
    month    TEXT    NOT NULL,
    code     TEXT    NOT NULL, -- ingest problem code
    n        INTEGER NOT NULL, -- records rejected for it
    PRIMARY KEY (hospital, month, code)
) STRICT;
