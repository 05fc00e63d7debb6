-- Review of findings (issue 11): who decided, when and why, on the finding itself for
-- lists, and every transition in finding_reviews (with audit_log) for the history.
ALTER TABLE findings ADD COLUMN reviewed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN reviewed_at INTEGER;
ALTER TABLE findings ADD COLUMN review_why TEXT NOT NULL DEFAULT '';
CREATE TABLE finding_reviews (
    id          INTEGER PRIMARY KEY,
    finding_id  INTEGER NOT NULL REFERENCES findings (id),
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    from_status TEXT    NOT NULL,
    to_status   TEXT    NOT NULL,
    why         TEXT    NOT NULL
) STRICT;
CREATE INDEX finding_reviews_finding ON finding_reviews (finding_id);
CREATE INDEX findings_status ON findings (status, hospital);
