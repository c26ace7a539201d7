-- A number that joined by keyword and has no contact yet becomes a contact without names,
-- numbered from $first_id by number (optline.ids, `contact_id`).
insert into core.contacts (contact_id, e164, first_name, last_name, name_key, first_batch_id, last_batch_id)
with

joined_numbers as (
    select distinct messages.e164
    from staging.inbound_outcomes as outcomes
    inner join staging.inbound_messages as messages
        on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
    where outcomes.batch_id = $batch_id and outcomes.action = 'join'
)

select
    $first_id + row_number() over (order by e164) - 1,
    e164,
    null,
    null,
    chr(31),
    $batch_id,
    $batch_id
from joined_numbers
where
    not exists (
        select 1 from core.contacts as existing
        where existing.e164 = joined_numbers.e164
    )
order by e164
