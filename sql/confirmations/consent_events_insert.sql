-- Each confirmed row is the number's own opt-in: an `opt_in` event on the row's channel at
-- the confirmation time, keyed by the number's HMAC, with the contact it confirmed (the
-- lowest id when several share the number). An opt_in never lifts an opt-out. Numbered from
-- $first_id by row (optline.ids, `consent_event_id`). Method link_confirmation when the row's
-- token named the welcome, web_confirmation when it was matched by number.
insert into core.consent_events (
    event_id, number_hmac, scope, kind, effective_at, source, method, contact_id, batch_id, row_number, dag_id, run_id
)
with

confirmed_contacts as (
    select
        row_number,
        min(contact_id) as contact_id
    from staging.web_confirmation_matches
    where batch_id = $batch_id and nth = 1
    group by row_number
)

select
    $first_id + row_number() over (order by web_rows.row_number) - 1,
    web_rows.number_hmac,
    coalesce(web_rows.channel, batches.channel),
    'opt_in',
    web_rows.confirmed_at,
    batches.source,
    case when web_rows.outbox_id is null then 'web_confirmation' else 'link_confirmation' end,
    confirmed_contacts.contact_id,
    web_rows.batch_id,
    web_rows.row_number,
    batches.dag_id,
    batches.run_id
from staging.web_confirmations as web_rows
inner join ops.confirmation_batches as batches on web_rows.batch_id = batches.batch_id
left join confirmed_contacts on web_rows.row_number = confirmed_contacts.row_number
where web_rows.batch_id = $batch_id and web_rows.outcome = 'confirmed'
order by web_rows.row_number
