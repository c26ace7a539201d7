insert into core.lists (name, name_key, first_batch_id)
select
    min(trim(list_name)),
    lower(trim(list_name)),
    0
from list_operations
where action = 'add_member' and lower(trim(list_name)) not in (select lists.name_key from core.lists as lists)
group by lower(trim(list_name))
