insert into core.tags (name, name_key)
select
    min(trim(tag)),
    lower(trim(tag))
from list_operations
where action = 'add_tag' and lower(trim(tag)) not in (select tags.name_key from core.tags as tags)
group by lower(trim(tag))
