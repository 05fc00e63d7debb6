-- Re-auditing finds the same violations again: one row per settlement version, rule and
-- line, so that a confirmed or dismissed finding keeps its status.
CREATE UNIQUE INDEX findings_unique ON findings (settlement_row, rule_id, feedetl_sn);
