-- The consent ledger gets one opt-in event per accepted row, with its evidence (and the disclosure
-- the manifest names, $disclosure_id, or null), numbered from $first_id by row (optline.ids,
-- `consent_event_id`): merge/batch_opt_ins_create holds them in row order, and a row's place
-- there (rowid, counted from the table's first) is its place in the numbering.
insert into core.consent_events (
    event_id, number_hmac, scope, kind, effective_at, source, method, contact_id, batch_id, row_number, dag_id, run_id,
    disclosure_id
)
with

numbers as (
    select distinct
        e164,
        number_hmac
    from staging.phone_parses
    where batch_id = $batch_id and e164 is not null
),

first_row as (
    select min(rowid) as rowid
    from batch_opt_ins
),

batch as (
    select
        batch_id,
        channel,
        as_of,
        dag_id,
        run_id
    from ops.batches
    where batch_id = $batch_id
)

select
    $first_id + opt_ins.rowid - first_row.rowid,
    numbers.number_hmac,
    batch.channel,
    'opt_in',
    coalesce(opt_ins.opted_in_at, batch.as_of),
    $consent_source,
    $consent_method,
    opt_ins.contact_id,
    batch.batch_id,
    opt_ins.row_number,
    batch.dag_id,
    batch.run_id,
    cast($disclosure_id as varchar)
from batch_opt_ins as opt_ins
inner join numbers on opt_ins.e164 = numbers.e164
cross join first_row
cross join batch
