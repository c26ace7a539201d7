-- What the opt-out-file suite reads of each row (meta.dataset optout_outcomes).
-- The GX runner filters it to one batch (`where batch_id = N`): optline.quality.suites.run_suite.
select
    batch_id,
    row_number,
    outcome,
    reason_code,
    opted_out_in_future,
    suppression_recorded
from quality.optout_outcomes
