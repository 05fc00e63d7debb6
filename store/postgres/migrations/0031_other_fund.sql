-- PostgreSQL mirror of store/sqlite/migrations/0031_other_fund.sql (same version, same tables and columns;
-- INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, row ids → identity columns).
-- Fund payments other than the pooled fund (payinfo lines whose fund_pay_type is not 310100:
-- serious-illness insurance, medical assistance, …), so that the patients' actual payment
-- P = medfee_sumamt − hifp_payamt − other funds is read from the document, never recomputed.
ALTER TABLE settlements ADD COLUMN other_fund_fen BIGINT NOT NULL DEFAULT 0;
