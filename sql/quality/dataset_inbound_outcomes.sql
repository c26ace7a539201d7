-- What the inbound-messages suite reads of each message (meta.dataset inbound_outcomes).
-- The GX runner filters it to one batch (`where batch_id = N`): optline.quality.suites.run_suite.
select
    batch_id,
    row_number,
    intent,
    outcome,
    received_in_future,
    opt_out_business_days
from quality.inbound_outcomes
