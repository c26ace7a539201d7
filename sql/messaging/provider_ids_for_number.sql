-- Provider ids already recorded for the number's other messages: reconciliation never
-- attributes one of them to another message.
select provider_message_id
from msg.outbox
where e164 = $e164 and provider_message_id is not null and outbox_id <> $outbox_id
