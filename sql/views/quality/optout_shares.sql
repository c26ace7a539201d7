-- One row per opt-out file: shares of its rows by outcome.
create or replace view quality.optout_shares as
select
    batch_id,
    count(*) as rows_read,
    count(*) filter (where outcome = 'invalid') / count(*) as invalid_share,
    count(*) filter (where outcome = 'suppressed_unmatched') / count(*) as unmatched_share
from staging.optout_outcomes
group by batch_id
