-- The tags an applied add_tag row names that do not exist yet.
insert into core.tags (name, name_key)
select
    min(tag),
    lower(tag)
from staging.touchup_rows
where
    batch_id = $batch_id
    and outcome = 'applied'
    and action = 'add_tag'
    and lower(tag) not in (select tags.name_key from core.tags as tags)
group by lower(tag)
