-- Each membership a confirmed row reached first gets its confirmation: method link (the row's
-- token named a welcome, kept as outbox_id) or web (matched by number), the time from the
-- file, lineage to the batch and row, recorded at the run's clock.
insert into core.confirmations (
    list_id, contact_id, channel, number_hmac, confirmed_at, method, keyword, batch_id, row_number, recorded_at,
    outbox_id
)
with

winning as (
    select
        matches.list_id,
        matches.contact_id,
        matches.channel,
        web_rows.number_hmac,
        web_rows.confirmed_at,
        web_rows.outbox_id,
        matches.batch_id,
        matches.row_number
    from staging.web_confirmation_matches as matches
    inner join staging.web_confirmations as web_rows
        on matches.batch_id = web_rows.batch_id and matches.row_number = web_rows.row_number
    where matches.batch_id = $batch_id and matches.nth = 1 and web_rows.outcome = 'confirmed'
),

-- a membership confirms once: one confirmed before keeps its first confirmation
unconfirmed as (
    select winning.*
    from winning
    where not exists (
        select 1
        from core.confirmations as earlier
        where
            earlier.list_id = winning.list_id
            and earlier.contact_id = winning.contact_id
            and earlier.channel = winning.channel
    )
)

select
    list_id,
    contact_id,
    channel,
    number_hmac,
    confirmed_at,
    case when outbox_id is null then 'web' else 'link' end,
    null,
    batch_id,
    row_number,
    $as_of,
    outbox_id
from unconfirmed
order by list_id, contact_id, channel
