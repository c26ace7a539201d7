insert into core.lists (name, name_key, first_batch_id)
select min(trim(list_name)), lower(trim(list_name)), 0
from list_operations
where action = 'add_member' and lower(trim(list_name)) not in (select name_key from core.lists)
group by lower(trim(list_name))
