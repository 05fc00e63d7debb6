-- Fund payments other than the pooled fund (payinfo lines whose fund_pay_type is not 310100:
-- serious-illness insurance, medical assistance, …), so that the patients' actual payment
-- P = medfee_sumamt − hifp_payamt − other funds is read from the document, never recomputed.
ALTER TABLE settlements ADD COLUMN other_fund_fen INTEGER NOT NULL DEFAULT 0;
