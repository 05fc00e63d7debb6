-- DIP group per settlement version and catalogue version; group empty (with a reason) when
-- the catalogue has no group for the case.
CREATE TABLE dip_assignments (
    settlement_row INTEGER NOT NULL REFERENCES settlements (id),
    setl_id        TEXT    NOT NULL,
    catalogue      TEXT    NOT NULL,
    dip_group      TEXT    NOT NULL,
    score          REAL    NOT NULL,
    reason         TEXT    NOT NULL,
    PRIMARY KEY (settlement_row, catalogue)
) STRICT;
