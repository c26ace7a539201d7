-- The pending memberships each valid row of a number not suppressed on the channel reaches:
-- its number's memberships on the row's channel (a token row: its welcome's number, list and
-- channel; else the batch's channel), of its list when it names one. A
-- membership with a confirmation already keeps it. The earliest row confirms (nth = 1).
insert into staging.web_confirmation_matches (batch_id, row_number, list_id, contact_id, channel, nth)
with

confirming as (
    select
        batch_id,
        row_number,
        e164,
        list_id,
        confirmed_at,
        channel
    from staging.web_confirmations
    where batch_id = $batch_id and outcome is null and not suppressed
),

pending as (
    select
        memberships.list_id,
        memberships.contact_id,
        memberships.channel,
        contacts.e164
    from core.memberships as memberships
    inner join core.contacts as contacts on memberships.contact_id = contacts.contact_id
    anti join core.confirmations as confirmations
        on
            memberships.list_id = confirmations.list_id
            and memberships.contact_id = confirmations.contact_id
            and memberships.channel = confirmations.channel
    where memberships.status = 'pending'
),

matched as (
    select
        confirming.batch_id,
        confirming.row_number,
        pending.list_id,
        pending.contact_id,
        pending.channel,
        row_number() over (
            partition by pending.list_id, pending.contact_id, pending.channel
            order by confirming.confirmed_at, confirming.row_number
        ) as nth
    from confirming
    inner join pending
        on
            confirming.e164 = pending.e164
            and confirming.channel = pending.channel
            and (confirming.list_id is null or confirming.list_id = pending.list_id)
)

select
    batch_id,
    row_number,
    list_id,
    contact_id,
    channel,
    nth
from matched
order by row_number, list_id, contact_id
