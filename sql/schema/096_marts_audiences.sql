-- Who may be messaged, per list and channel: members whose number is not suppressed on
-- that channel by the consent ledger. Every send audience reads this view, so an opt-out
-- shrinks every audience at once. Numbers masked to their last two digits.
create or replace view marts.audiences as
select
    lists.name as list_name,
    memberships.channel,
    memberships.status,
    contacts.contact_id,
    repeat('•', length(contacts.e164) - 2) || right(contacts.e164, 2) as e164_masked
from core.memberships as memberships
inner join core.lists as lists on lists.list_id = memberships.list_id
inner join core.contacts as contacts on contacts.contact_id = memberships.contact_id
inner join core.phone_numbers as numbers on numbers.e164 = contacts.e164
where not exists (
    select 1 from core.consent_state as consent
    where consent.number_hmac = numbers.number_hmac
        and consent.channel = memberships.channel
        and consent.suppressed
)
