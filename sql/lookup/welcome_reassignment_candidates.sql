-- The welcomes about to be queued (pending memberships with no welcome for the list and number
-- yet, as messaging/welcome_candidates finds them), each with the number's latest opt-in on
-- the membership's channel (the consent a reassignment check asks about) and the batch whose
-- policy says whether and how to check.
with

pending as (
    select
        memberships.list_id,
        memberships.channel,
        memberships.first_batch_id,
        contacts.contact_id,
        contacts.e164,
        numbers.number_hmac,
        'welcome:' || memberships.list_id || ':' || numbers.number_hmac as idempotency_key
    from core.memberships as memberships
    inner join core.contacts as contacts on memberships.contact_id = contacts.contact_id
    inner join core.phone_numbers as numbers on contacts.e164 = numbers.e164
    where memberships.status = 'pending'
    qualify row_number() over (
        partition by memberships.list_id, numbers.number_hmac order by memberships.channel, contacts.contact_id
    ) = 1
),

unqueued as (
    select pending.*
    from pending
    where not exists (
        select 1 from msg.outbox as outbox
        where outbox.idempotency_key = pending.idempotency_key
    )
),

consent as (
    select
        number_hmac,
        channel,
        opted_in_at
    from core.consent_state_of((select list(distinct unqueued.number_hmac) from unqueued))
)

select
    unqueued.idempotency_key,
    unqueued.list_id,
    unqueued.channel,
    unqueued.contact_id,
    unqueued.e164,
    unqueued.number_hmac,
    unqueued.first_batch_id as batch_id,
    consent.opted_in_at
from unqueued
left join consent on unqueued.number_hmac = consent.number_hmac and unqueued.channel = consent.channel
order by unqueued.first_batch_id, unqueued.list_id, unqueued.contact_id
