-- The lists an applied add_member row names that do not exist yet, numbered from $first_id by
-- name (optline.ids, `list_id`).
insert into core.lists (list_id, name, name_key, first_batch_id)
with

new_lists as (
    select
        lower(list_name) as name_key,
        min(list_name) as name
    from staging.touchup_rows
    where
        batch_id = $batch_id
        and outcome = 'applied'
        and action = 'add_member'
        and lower(list_name) not in (select lists.name_key from core.lists as lists)
    group by lower(list_name)
)

select
    $first_id + row_number() over (order by name_key) - 1,
    name,
    name_key,
    $batch_id
from new_lists
order by name_key
