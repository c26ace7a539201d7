-- One row per batch: shares of the rows read that failed each rule, for the gate, and how many
-- accepted rows share their number + name with another accepted row of the batch (the rules'
-- duplicate_in_file leaves none; the gate holds a batch back if a bug ever did: the merge takes
-- one accepted row per number + name). Counted here by one grouping, where a flag on every
-- accepted row joined that grouping back to the rows (7 of 22 s at 9.4M rows, measured).
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
),

-- number + name pairs accepted more than once in a batch: a grouping that spills to disk (GX's
-- own compound-uniqueness query ran out of memory at 14M rows)
repeated as (
    select
        batch_id,
        e164,
        lower(trim(coalesce(first_name, ''))) || chr(31) || lower(trim(coalesce(last_name, ''))) as name_key,
        count(*) as copies
    from staging.row_outcomes
    where accepted
    group by all
    having count(*) > 1
),

repeated_rows as (
    select
        batch_id,
        sum(copies) as rows_repeated
    from repeated
    group by batch_id
)

select
    outcomes.batch_id,
    outcomes.rows_read,
    outcomes.rows_rejected / greatest(outcomes.rows_read, 1) as rejected_share,
    outcomes.rows_missing_opt_in / greatest(outcomes.rows_read, 1) as missing_opt_in_share,
    outcomes.rows_under_age / greatest(outcomes.rows_read, 1) as under_age_share,
    outcomes.rows_stale / greatest(outcomes.rows_read, 1) as stale_share,
    coalesce(repeated_rows.rows_repeated, 0) as repeated_rows
from outcomes
left join repeated_rows on outcomes.batch_id = repeated_rows.batch_id
