-- The last id handed out under one name (`optline.ids.insert`, inside the inserting transaction).
select last_id
from ops.id_counters
where name = $name
