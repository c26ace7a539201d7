-- One row per batch: shares of the rows read that failed each rule, for the gate.
create or replace view quality.batch_shares as
with

outcomes as (
    select
        batch_id,
        count(*) as rows_read,
        count(*) filter (where not accepted) as rows_rejected,
        count(*) filter (where list_contains(reasons, 'missing_opt_in')) as rows_missing_opt_in,
        count(*) filter (where list_contains(reasons, 'under_age')) as rows_under_age,
        count(*) filter (where accepted and list_contains(warnings, 'stale_contact')) as rows_stale
    from staging.row_outcomes
    group by batch_id
)

select
    batch_id,
    rows_read,
    rows_rejected / greatest(rows_read, 1) as rejected_share,
    rows_missing_opt_in / greatest(rows_read, 1) as missing_opt_in_share,
    rows_under_age / greatest(rows_read, 1) as under_age_share,
    rows_stale / greatest(rows_read, 1) as stale_share
from outcomes
