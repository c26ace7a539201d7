-- Pending memberships (imported, not yet confirmed) whose number has no welcome for the list
-- yet: one row per list and number, for the number's earliest contact on the list (its first
-- name personalizes the text). The key is the keyword auto-welcome's, so a number gets one
-- welcome per list whichever way it came.
with

pending as (
    select
        memberships.list_id,
        memberships.channel,
        memberships.first_batch_id,
        contacts.contact_id,
        contacts.e164,
        contacts.first_name,
        numbers.number_hmac,
        lists.name as list_name
    from core.memberships as memberships
    inner join core.contacts as contacts on memberships.contact_id = contacts.contact_id
    inner join core.phone_numbers as numbers on contacts.e164 = numbers.e164
    inner join core.lists as lists on memberships.list_id = lists.list_id
    where memberships.status = 'pending'
),

keyed as (
    select
        *,
        'welcome:' || list_id || ':' || number_hmac as idempotency_key,
        row_number() over (partition by list_id, number_hmac order by channel, contact_id) as nth
    from pending
)

select
    keyed.idempotency_key,
    keyed.list_id,
    keyed.list_name,
    keyed.channel,
    keyed.contact_id,
    keyed.e164,
    keyed.first_name,
    keyed.number_hmac,
    keyed.first_batch_id as batch_id
from keyed
where
    keyed.nth = 1
    and not exists (
        select 1 from msg.outbox as outbox
        where outbox.idempotency_key = keyed.idempotency_key
    )
order by keyed.first_batch_id, keyed.list_id, keyed.contact_id
