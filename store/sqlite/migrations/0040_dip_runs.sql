-- DIP settlements (按病种分值付费): one row per `yibao dip settle`, with the point value and
-- every hospital's points, amount, fund payment, case kinds, prepayment and clearing.
CREATE TABLE dip_runs (
    id           INTEGER PRIMARY KEY,
    period       TEXT    NOT NULL,
    catalogue    TEXT    NOT NULL,
    policy       TEXT    NOT NULL,
    budget       INTEGER NOT NULL, -- fen, B
    patient_paid INTEGER NOT NULL, -- fen, P
    total_points INTEGER NOT NULL, -- ten-thousandths of a point, T
    point_value  TEXT    NOT NULL, -- yuan per point, 6 decimals, for display
    results      TEXT    NOT NULL, -- JSON []DIPHospitalRun
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX dip_runs_period ON dip_runs (period, id);
