-- Queued messages due at $now, oldest first, with what the dispatcher needs to place the
-- recipient in time: the contact's state and postcode (the message's contact, else the
-- earliest contact at the number) and the number's time zones.
with

due as (
    select
        outbox_id,
        idempotency_key,
        kind,
        e164,
        number_hmac,
        channel,
        contact_id,
        body,
        attempts,
        coalesce(not_before, created_at) as due_at
    from msg.outbox
    where status = 'queued' and coalesce(not_before, created_at) <= $now
    order by due_at, outbox_id
    limit $limit
),

earliest_contacts as (
    select e164, min(contact_id) as contact_id
    from core.contacts
    where e164 in (select e164 from due)
    group by e164
)

select
    due.outbox_id,
    due.idempotency_key,
    due.kind,
    due.e164,
    due.number_hmac,
    due.channel,
    due.body,
    due.attempts,
    contacts.state,
    contacts.postcode,
    numbers.time_zones
from due
left join earliest_contacts on earliest_contacts.e164 = due.e164
left join core.contacts as contacts on contacts.contact_id = coalesce(due.contact_id, earliest_contacts.contact_id)
left join core.phone_numbers as numbers on numbers.e164 = due.e164
order by due.due_at, due.outbox_id
