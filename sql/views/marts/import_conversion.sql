-- Double opt-in conversion per contact import: the list × number pairs the import added as
-- pending members (imported), how many got their welcome (messaged), and how many confirmed
-- (a YES/START reply, the list's keyword, or a web confirmation), and by which way the first
-- confirmation came: confirmed_by_reply (a text: YES/START or the keyword), confirmed_by_link
-- (the welcome's confirmation link, method link) and confirmed_by_number (the sign-up site
-- matched by number, method web). Counts only.
create or replace view marts.import_conversion as
with

imported as (
    select distinct
        memberships.first_batch_id as batch_id,
        memberships.list_id,
        numbers.number_hmac
    from core.memberships as memberships
    inner join ops.batches as batches on memberships.first_batch_id = batches.batch_id
    inner join core.contacts as contacts on memberships.contact_id = contacts.contact_id
    inner join core.phone_numbers as numbers on contacts.e164 = numbers.e164
),

welcomes as (
    select
        list_id,
        number_hmac,
        status
    from msg.outbox
    where kind = 'welcome'
),

confirmed as (
    select
        list_id,
        number_hmac,
        arg_min(method, confirmed_at) as method
    from core.confirmations
    group by list_id, number_hmac
),

per_number as (
    select
        imported.batch_id,
        imported.list_id,
        imported.number_hmac,
        welcomes.status as welcome_status,
        confirmed.number_hmac is not null as is_confirmed,
        confirmed.method as confirmed_by
    from imported
    left join welcomes on imported.list_id = welcomes.list_id and imported.number_hmac = welcomes.number_hmac
    left join confirmed on imported.list_id = confirmed.list_id and imported.number_hmac = confirmed.number_hmac
)

select
    batches.batch_id,
    batches.file_name,
    batches.merged_at,
    count(*) as imported,
    count(*) filter (where per_number.welcome_status in ('queued', 'claimed')) as waiting,
    count(*) filter (where per_number.welcome_status = 'sent') as messaged,
    count(*) filter (where per_number.welcome_status in ('cancelled', 'failed')) as not_messaged,
    count(*) filter (where per_number.is_confirmed) as confirmed,
    round(count(*) filter (where per_number.is_confirmed) / count(*), 4) as conversion_rate,
    round(
        count(*) filter (where per_number.is_confirmed and per_number.welcome_status = 'sent')
        / nullif(count(*) filter (where per_number.welcome_status = 'sent'), 0),
        4
    ) as confirmed_of_messaged,
    count(*) filter (where per_number.confirmed_by in ('reply', 'keyword')) as confirmed_by_reply,
    count(*) filter (where per_number.confirmed_by = 'link') as confirmed_by_link,
    count(*) filter (where per_number.confirmed_by = 'web') as confirmed_by_number
from per_number
inner join ops.batches as batches on per_number.batch_id = batches.batch_id
group by batches.batch_id, batches.file_name, batches.merged_at
order by batches.batch_id
