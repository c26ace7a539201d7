-- Each membership a confirmed row reached first gets its confirmation: method web, the time
-- from the file, lineage to the batch and row, recorded at the run's clock.
insert into core.confirmations (
    list_id, contact_id, channel, number_hmac, confirmed_at, method, keyword, batch_id, row_number, recorded_at
)
with

winning as (
    select
        matches.list_id,
        matches.contact_id,
        matches.channel,
        web_rows.number_hmac,
        web_rows.confirmed_at,
        matches.batch_id,
        matches.row_number
    from staging.web_confirmation_matches as matches
    inner join staging.web_confirmations as web_rows
        on matches.batch_id = web_rows.batch_id and matches.row_number = web_rows.row_number
    where matches.batch_id = $batch_id and matches.nth = 1 and web_rows.outcome = 'confirmed'
)

select
    list_id,
    contact_id,
    channel,
    number_hmac,
    confirmed_at,
    'web',
    null,
    batch_id,
    row_number,
    $as_of
from winning
order by list_id, contact_id, channel
