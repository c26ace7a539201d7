-- Queue the batch's replies: one help reply per HELP message, one welcome per first-ever
-- keyword join. A key already in the outbox (or twice in the batch: the first in apply order
-- goes) is skipped, so each reply is queued once. Numbered from $first_id in apply order
-- (optline.ids, `outbox_id`).
insert into msg.outbox (
    outbox_id, idempotency_key, kind, e164, number_hmac, channel, list_id, template, body, status, not_before, batch_id,
    row_number
)
with

replies as (
    select
        case
            when outcomes.action = 'help_reply'
                then 'help:' || outcomes.batch_id || ':' || outcomes.row_number
            else 'welcome:' || lists.list_id || ':' || messages.number_hmac
        end as idempotency_key,
        case when outcomes.action = 'help_reply' then 'help' else 'welcome' end as kind,
        messages.e164,
        messages.number_hmac,
        batches.channel,
        case when outcomes.action = 'help_reply' then null else lists.list_id end as list_id,
        case when outcomes.action = 'help_reply' then $help_reply else $welcome_reply end as template,
        coalesce(lists.name, '') as list_name,
        coalesce(outcomes.keyword, '') as keyword,
        outcomes.batch_id,
        outcomes.row_number,
        outcomes.apply_order
    from staging.inbound_outcomes as outcomes
    inner join staging.inbound_messages as messages
        on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
    inner join ops.inbound_batches as batches on outcomes.batch_id = batches.batch_id
    left join core.lists as lists on lists.name_key = lower(trim(messages.list_name))
    where outcomes.batch_id = $batch_id and (outcomes.action = 'help_reply' or outcomes.welcome)
),

new_replies as (
    select *
    from replies
    where
        not exists (
            select 1 from msg.outbox as queued
            where queued.idempotency_key = replies.idempotency_key
        )
    qualify row_number() over (partition by idempotency_key order by apply_order, row_number) = 1
)

select
    $first_id + row_number() over (order by apply_order, row_number) - 1,
    idempotency_key,
    kind,
    e164,
    number_hmac,
    channel,
    list_id,
    template,
    replace(replace(template, '{list}', list_name), '{keyword}', keyword),
    'queued',
    $applied_at,
    batch_id,
    row_number
from new_replies
order by apply_order, row_number
