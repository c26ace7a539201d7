-- Queued messages due at $now, oldest first, with what the dispatcher decides by:
-- - why one may not go (block_reason, null: it may): its number opted out of the channel
--   (the consent ledger), an operator suspended it, its HMAC is unknown, or it is an import's
--   welcome (asking to confirm) and no membership is pending any more (the number confirmed
--   already, e.g. by texting the keyword, or left the list). Read when the batch is picked;
--   the claim (messaging/outbox_claim) reads the ledger and suspensions again in its own
--   transaction, so a STOP that lands in between is never sent;
-- - where the recipient is: the contact's state and postcode (the message's contact, else the
--   earliest contact at the number) and the number's time zones.
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
        list_id,
        body,
        attempts,
        kind = 'welcome' and row_number is null as asks_to_confirm,
        coalesce(not_before, created_at) as due_at
    from msg.outbox
    where status = 'queued' and coalesce(not_before, created_at) <= $now
    order by due_at, outbox_id
    limit $limit
),

suppressed as (
    select
        consent.number_hmac,
        consent.channel
    from core.consent_state_of((select list(due.number_hmac) from due)) as consent
    where consent.suppressed
),

suspended as (
    select events.number_hmac
    from core.number_status_events as events
    where events.number_hmac in (select due.number_hmac from due)
    group by events.number_hmac
    having arg_max(events.action, events.effective_at) = 'suspend'
),

still_pending as (
    select distinct
        memberships.list_id,
        numbers.number_hmac
    from core.memberships as memberships
    inner join core.contacts as contacts on memberships.contact_id = contacts.contact_id
    inner join core.phone_numbers as numbers on contacts.e164 = numbers.e164
    where memberships.status = 'pending' and numbers.number_hmac in (select due.number_hmac from due)
),

earliest_contacts as (
    select
        e164,
        min(contact_id) as contact_id
    from core.contacts
    where e164 in (select due.e164 from due)
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
    case
        when due.number_hmac is null then 'no_number_hmac'
        when suppressed.number_hmac is not null then 'suppressed'
        when suspended.number_hmac is not null then 'suspended'
        when due.asks_to_confirm and still_pending.list_id is null then 'not_pending'
    end as block_reason,
    contacts.state,
    contacts.postcode,
    numbers.time_zones
from due
left join suppressed on due.number_hmac = suppressed.number_hmac and due.channel = suppressed.channel
left join suspended on due.number_hmac = suspended.number_hmac
left join still_pending on due.list_id = still_pending.list_id and due.number_hmac = still_pending.number_hmac
left join earliest_contacts on due.e164 = earliest_contacts.e164
left join core.contacts as contacts on contacts.contact_id = coalesce(due.contact_id, earliest_contacts.contact_id)
left join core.phone_numbers as numbers on due.e164 = numbers.e164
order by due.due_at, due.outbox_id
