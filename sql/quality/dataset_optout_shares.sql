-- What the opt-out-file suite reads of each file: its shares of rows by outcome.
-- The GX runner filters it to one batch (`where batch_id = N`): optline.quality.suites.run_suite.
select
    batch_id,
    rows_read,
    invalid_share,
    unmatched_share
from quality.optout_shares
