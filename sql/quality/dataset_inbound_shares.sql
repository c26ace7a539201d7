-- What the inbound-messages suite reads of each export: its shares of messages by outcome.
-- The GX runner filters it to one batch (`where batch_id = N`): optline.quality.suites.run_suite.
select
    batch_id,
    rows_read,
    invalid_share
from quality.inbound_shares
