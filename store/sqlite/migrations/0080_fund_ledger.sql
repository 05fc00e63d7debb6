-- The bureau's fund ledger (基金台账, docs/formats.md): income, other expenditure and stated
-- opening balances by month and insurance type. Money in fen; opening_fen NULL when the
-- balance is carried forward. Loading a month again replaces it (the newer ledger wins).
CREATE TABLE fund_ledger (
    period      TEXT    NOT NULL,
    insutype    TEXT    NOT NULL,
    income_fen  INTEGER NOT NULL,
    other_fen   INTEGER NOT NULL,
    opening_fen INTEGER,
    insured     INTEGER NOT NULL DEFAULT 0,
    source      TEXT    NOT NULL,
    loaded_at   INTEGER NOT NULL,
    PRIMARY KEY (period, insutype)
) STRICT;
