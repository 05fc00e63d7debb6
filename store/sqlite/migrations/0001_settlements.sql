-- Hospitals: the registry, plus codes seen only on settlements (registered = 0).
CREATE TABLE hospitals (
    code       TEXT PRIMARY KEY,
    name       TEXT    NOT NULL DEFAULT '',
    level      INTEGER NOT NULL DEFAULT 0,
    grade      TEXT    NOT NULL DEFAULT '',
    type       TEXT    NOT NULL DEFAULT '',
    specialty  TEXT    NOT NULL DEFAULT '',
    region     TEXT    NOT NULL DEFAULT '',
    beds       INTEGER NOT NULL DEFAULT 0,
    registered INTEGER NOT NULL DEFAULT 0
) STRICT;

-- One row per version of a settlement. Summary columns serve queries; `detail` holds the
-- whole pseudonymised settlement (diagnoses, procedures, fee lines) in the binary codec of
-- detail_codec.go, and content_hash (SHA-256 of detail) makes re-ingest idempotent.
CREATE TABLE settlements (
    id                  INTEGER PRIMARY KEY,
    setl_id             TEXT    NOT NULL,
    version             INTEGER NOT NULL,
    current             INTEGER NOT NULL,
    content_hash        BLOB    NOT NULL,
    mdtrt_id            TEXT    NOT NULL,
    hospital            TEXT    NOT NULL,
    psn                 TEXT    NOT NULL,
    sex                 INTEGER NOT NULL,
    age                 INTEGER NOT NULL,
    insutype            TEXT    NOT NULL,
    med_type            TEXT    NOT NULL,
    inpatient           INTEGER NOT NULL,
    adm_time            INTEGER,          -- unix seconds, NULL for outpatient visits without one
    dscg_time           INTEGER,
    los                 INTEGER NOT NULL,
    dscg_dept           TEXT    NOT NULL,
    disposition         TEXT    NOT NULL,
    principal_dx        TEXT    NOT NULL,
    total_fen           INTEGER NOT NULL,
    fund_fen            INTEGER NOT NULL,
    fee_count           INTEGER NOT NULL,
    detail              BLOB    NOT NULL,
    ingested_at         INTEGER NOT NULL,
    UNIQUE (setl_id, version)
) STRICT;
CREATE INDEX settlements_person ON settlements (psn, adm_time) WHERE current = 1;
CREATE INDEX settlements_hospital ON settlements (hospital, dscg_time) WHERE current = 1;
