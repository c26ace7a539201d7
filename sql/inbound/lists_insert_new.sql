-- Lists named by the keywords joined in this batch that do not exist yet (unique, case-insensitive),
-- numbered from $first_id by name (optline.ids, `list_id`).
insert into core.lists (list_id, name, name_key, first_batch_id)
with

wanted as (
    select trim(messages.list_name) as name
    from staging.inbound_outcomes as outcomes
    inner join staging.inbound_messages as messages
        on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
    where outcomes.batch_id = $batch_id and outcomes.action = 'join'
),

new_lists as (
    select
        lower(name) as name_key,
        min(name) as name
    from wanted
    where lower(name) not in (select lists.name_key from core.lists as lists)
    group by lower(name)
)

select
    $first_id + row_number() over (order by name_key) - 1,
    name,
    name_key,
    $batch_id
from new_lists
order by name_key
