-- Spend $count more ids under one name, in the transaction that inserted the rows holding them.
update ops.id_counters
set last_id = last_id + $count
where name = $name
