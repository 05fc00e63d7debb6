-- A change counter: every write to the tables the cockpit summarises bumps it, so that a
-- long-running server drops its caches after a CLI ingest, audit or evaluation. The bulk
-- inserts (settlements, findings, groupings) bump it once per transaction in Go
-- (store.bump): a trigger per row would cost ingest about a tenth of its speed.
CREATE TABLE store_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL) STRICT;
INSERT INTO store_version VALUES (1, 0);
CREATE TRIGGER sv_settlements_upd AFTER UPDATE ON settlements BEGIN UPDATE store_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sv_findings_upd AFTER UPDATE ON findings BEGIN UPDATE store_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sv_hospitals_ins AFTER INSERT ON hospitals BEGIN UPDATE store_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sv_hospitals_upd AFTER UPDATE ON hospitals BEGIN UPDATE store_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sv_evaluation_ins AFTER INSERT ON evaluation_runs BEGIN UPDATE store_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sv_linkage_upd AFTER UPDATE ON linkage_adjustments BEGIN UPDATE store_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sv_appeals_ins AFTER INSERT ON appeals BEGIN UPDATE store_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sv_appeals_upd AFTER UPDATE ON appeals BEGIN UPDATE store_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sv_payment_runs_ins AFTER INSERT ON payment_runs BEGIN UPDATE store_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sv_technology_runs_ins AFTER INSERT ON technology_runs BEGIN UPDATE store_version SET n = n + 1 WHERE id = 1; END;
