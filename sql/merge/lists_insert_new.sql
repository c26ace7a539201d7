-- Named lists the batch targets that do not exist yet (names are unique, case-insensitive),
-- numbered from $first_id by name (optline.ids, `list_id`).
insert into core.lists (list_id, name, name_key, first_batch_id)
with

wanted as (
    select trim(unnest(list_names)) as name
    from ops.batches
    where batch_id = $batch_id
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
