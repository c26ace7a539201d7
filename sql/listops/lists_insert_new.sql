-- The lists an applied add_member row names that do not exist yet.
insert into core.lists (name, name_key, first_batch_id)
select
    min(list_name),
    lower(list_name),
    $batch_id
from staging.touchup_rows
where
    batch_id = $batch_id
    and outcome = 'applied'
    and action = 'add_member'
    and lower(list_name) not in (select lists.name_key from core.lists as lists)
group by lower(list_name)
