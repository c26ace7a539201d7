-- A number's own YES/START (applied) confirms every pending membership of that number on the
-- export's channel; its keyword confirms the pending membership of the keyword's list. The
-- earliest such message confirms; a membership confirmed before keeps its first confirmation.
insert into core.confirmations (
    list_id, contact_id, channel, number_hmac, confirmed_at, method, keyword, batch_id, row_number, recorded_at
)
with

confirming as (
    select
        outcomes.batch_id,
        outcomes.row_number,
        outcomes.apply_order,
        outcomes.received_at,
        outcomes.applied_at,
        outcomes.keyword,
        outcomes.action,
        messages.e164,
        messages.number_hmac,
        lower(trim(messages.list_name)) as list_key,
        batches.channel
    from staging.inbound_outcomes as outcomes
    inner join staging.inbound_messages as messages
        on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
    inner join ops.inbound_batches as batches on outcomes.batch_id = batches.batch_id
    where
        outcomes.batch_id = $batch_id
        and outcomes.outcome = 'applied'
        and (outcomes.intent = 'opt_in' or outcomes.action = 'join')
),

pending as (
    select
        memberships.list_id,
        memberships.contact_id,
        memberships.channel,
        contacts.e164,
        lists.name_key as list_key
    from core.memberships as memberships
    inner join core.contacts as contacts on memberships.contact_id = contacts.contact_id
    inner join core.lists as lists on memberships.list_id = lists.list_id
    where memberships.status = 'pending'
),

matched as (
    select
        pending.list_id,
        pending.contact_id,
        pending.channel,
        confirming.number_hmac,
        confirming.received_at,
        case when confirming.action = 'join' then 'keyword' else 'reply' end as method,
        confirming.keyword,
        confirming.batch_id,
        confirming.row_number,
        confirming.applied_at,
        row_number() over (
            partition by pending.list_id, pending.contact_id, pending.channel order by confirming.apply_order
        ) as nth
    from confirming
    inner join pending
        on
            confirming.e164 = pending.e164
            and confirming.channel = pending.channel
            and (confirming.action <> 'join' or confirming.list_key = pending.list_key)
)

select
    list_id,
    contact_id,
    channel,
    number_hmac,
    received_at,
    method,
    keyword,
    batch_id,
    row_number,
    applied_at
from matched
where
    nth = 1
    and not exists (
        select 1 from core.confirmations as confirmed
        where
            confirmed.list_id = matched.list_id
            and confirmed.contact_id = matched.contact_id
            and confirmed.channel = matched.channel
    )
order by list_id, contact_id, channel
