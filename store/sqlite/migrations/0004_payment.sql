-- The doctor a case is attributed to (principal operator, else the doctor who billed most
-- lines), for CMI and league tables by doctor.
ALTER TABLE settlements ADD COLUMN doctor TEXT NOT NULL DEFAULT '';

-- A pricing/settlement run: every number it produced can be traced to the period, scheme,
-- parameters and weights it used (kept verbatim).
CREATE TABLE payment_runs (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL, -- settle | simulate
    period         TEXT    NOT NULL,
    scheme         TEXT    NOT NULL,
    scheme_version TEXT    NOT NULL,
    params_version TEXT    NOT NULL,
    weights_version TEXT   NOT NULL,
    base_rate      TEXT    NOT NULL, -- JSON
    params         TEXT    NOT NULL, -- JSON
    weights        TEXT    NOT NULL, -- JSON
    created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE case_payments (
    run_id         INTEGER NOT NULL REFERENCES payment_runs (id),
    settlement_row INTEGER NOT NULL REFERENCES settlements (id),
    setl_id        TEXT    NOT NULL,
    hospital       TEXT    NOT NULL,
    drg            TEXT    NOT NULL,
    rw             INTEGER NOT NULL, -- ten-thousandths
    coefficient    INTEGER NOT NULL, -- ten-thousandths
    base_rate_fen  INTEGER NOT NULL,
    standard_fen   INTEGER NOT NULL,
    payment_fen    INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    cost_fen       INTEGER NOT NULL,
    patient_fen    INTEGER NOT NULL,
    fund_fen       INTEGER NOT NULL,
    PRIMARY KEY (run_id, settlement_row)
) STRICT;
CREATE INDEX case_payments_hospital ON case_payments (run_id, hospital);

CREATE TABLE hospital_settlements (
    run_id     INTEGER NOT NULL REFERENCES payment_runs (id),
    hospital   TEXT    NOT NULL,
    settlement TEXT    NOT NULL, -- JSON of payment.HospitalSettlement
    PRIMARY KEY (run_id, hospital)
) STRICT;
