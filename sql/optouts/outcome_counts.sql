-- Rows per outcome and the distinct contacts matched, for the reconciliation and the report.
with

outcomes as (
    select
        outcome,
        matches
    from staging.optout_outcomes
    where batch_id = $batch_id
),

matched_contacts as (
    select distinct unnest(matches).contact_id as contact_id
    from outcomes
)

select
    (select count(*) from outcomes) as rows_judged,
    (
        select count(*) from outcomes
        where outcome = 'matched'
    ) as rows_matched,
    (
        select count(*) from outcomes
        where outcome = 'suppressed_unmatched'
    ) as rows_suppressed_unmatched,
    (
        select count(*) from outcomes
        where outcome = 'invalid'
    ) as rows_invalid,
    (select count(*) from matched_contacts) as contacts_matched
