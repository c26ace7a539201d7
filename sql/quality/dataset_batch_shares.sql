-- What the contact-list suite reads of each batch: the shares the gate's thresholds apply to.
-- The GX runner filters it to one batch (`where batch_id = N`): optline.quality.suites.run_suite.
select
    batch_id,
    rows_read,
    rejected_share,
    missing_opt_in_share,
    under_age_share,
    stale_share,
    repeated_rows
from quality.batch_shares
