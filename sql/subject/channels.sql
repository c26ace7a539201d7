-- A data subject's export: the channels the number's contacts are reached on.
select
    channels.contact_id,
    channels.channel,
    channels.first_batch_id
from core.contact_channels as channels
inner join core.contacts as contacts on channels.contact_id = contacts.contact_id
where contacts.e164 = $e164
order by channels.contact_id, channels.channel
