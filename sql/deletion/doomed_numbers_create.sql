-- The numbers a deletion forgets: the doomed contacts' numbers that no remaining contact uses,
-- the number asked for (scope number, known to a contact or not), and for scope all every
-- number the warehouse holds anywhere (staged rows of every batch, opt-out files, texts,
-- web confirmations, the outbox).
create or replace temp table doomed_numbers as
with

contact_numbers as (
    select doomed.e164
    from doomed_contacts as doomed
    where not exists (
        select 1 from core.contacts as others
        where
            others.e164 = doomed.e164
            and others.contact_id not in (select doomed_contacts.contact_id from doomed_contacts)
    )
),

asked_number as (
    select $e164 as e164
    where $scope = 'number'
),

every_number as (
    select e164 from core.phone_numbers
    union all
    select e164 from staging.phone_parses
    union all
    select e164 from staging.optout_phone_parses
    union all
    select e164 from staging.optout_numbers
    union all
    select e164 from staging.optout_outcomes
    union all
    select e164 from staging.inbound_messages
    union all
    select e164 from staging.web_confirmations
    union all
    select e164 from msg.outbox
)

select distinct e164
from (
    select e164 from contact_numbers
    union all
    select e164 from asked_number
    union all
    select e164 from every_number
    where $scope = 'all'
) as numbers
where e164 is not null and e164 <> ''
