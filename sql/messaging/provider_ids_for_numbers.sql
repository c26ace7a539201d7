-- Provider ids already recorded for the numbers being reconciled, with the message each
-- belongs to: reconciliation never attributes one message's id to another message.
select
    e164,
    outbox_id,
    provider_message_id
from msg.outbox
where e164 in (select unnest($e164s::varchar[]) as e164) and provider_message_id is not null
