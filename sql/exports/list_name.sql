-- The list an audience export names, as first written (any case), if it exists.
select name
from core.lists
where name_key = lower($list_name)
