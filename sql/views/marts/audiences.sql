-- Who may be messaged, per list and channel: members whose number is neither suppressed on
-- that channel by the consent ledger nor suspended by an operator. Every send audience reads
-- this view, so an opt-out shrinks every audience at once. Numbers masked.
create or replace view marts.audiences as
with

suspended as (
    select number_hmac
    from core.number_status_events
    group by number_hmac
    having arg_max(action, effective_at) = 'suspend'
)

select
    lists.name as list_name,
    memberships.channel,
    memberships.status,
    contacts.contact_id,
    repeat('•', length(contacts.e164) - 2) || right(contacts.e164, 2) as e164_masked
from core.memberships as memberships
inner join core.lists as lists on memberships.list_id = lists.list_id
inner join core.contacts as contacts on memberships.contact_id = contacts.contact_id
inner join core.phone_numbers as numbers on contacts.e164 = numbers.e164
where
    numbers.number_hmac not in (select suspended.number_hmac from suspended)
    and not exists (
        select 1 from core.suppressed_numbers as suppressed
        where
            suppressed.number_hmac = numbers.number_hmac
            and suppressed.channel = memberships.channel
    )
