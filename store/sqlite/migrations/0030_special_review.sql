-- Special review (特例单议): cases the DRG rules cannot price queue with their reason; an
-- expert decides with who, when and why; approved cases earn the decided points (NULL:
-- the policy's default C / Ā × 100) in the next settlement of their period.
CREATE TABLE special_reviews (
    id             INTEGER PRIMARY KEY,
    setl_id        TEXT    NOT NULL UNIQUE,
    settlement_row INTEGER NOT NULL REFERENCES settlements (id), -- version queued
    hospital       TEXT    NOT NULL,
    period         TEXT    NOT NULL,
    drg            TEXT    NOT NULL,
    reason         TEXT    NOT NULL, -- ungroupable | failed | no_weight | long_stay
    cost_fen       INTEGER NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'pending', -- pending | approved | rejected
    points         INTEGER,          -- decided points × 10⁴; NULL = policy default
    decided_by     TEXT    NOT NULL DEFAULT '',
    decided_at     INTEGER,
    why            TEXT    NOT NULL DEFAULT '',
    queued_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX special_reviews_hospital ON special_reviews (period, hospital, status);

-- Point-method results per case and run (the base-rate columns of 0004 stay 0).
ALTER TABLE case_payments ADD COLUMN points INTEGER NOT NULL DEFAULT 0; -- × 10⁻⁴ points
ALTER TABLE case_payments ADD COLUMN deduction_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payment_runs ADD COLUMN point_value TEXT NOT NULL DEFAULT ''; -- yuan per point, 6 decimals
