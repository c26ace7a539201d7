-- What the contact-list suite reads of each accepted row (meta.dataset accepted_rows).
-- The GX runner filters it to one batch (`where batch_id = N`): optline.quality.suites.run_suite.
select
    batch_id,
    e164,
    region,
    region_allowed,
    opted_in_at,
    opt_in_in_future,
    age_years,
    months_since_last_seen,
    first_name,
    last_name,
    email,
    previously_opted_out
from quality.accepted_rows
