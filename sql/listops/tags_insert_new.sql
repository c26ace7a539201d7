-- The tags an applied add_tag row names that do not exist yet, numbered from $first_id by name
-- (optline.ids, `tag_id`).
insert into core.tags (tag_id, name, name_key)
with

new_tags as (
    select
        lower(tag) as name_key,
        min(tag) as name
    from staging.touchup_rows
    where
        batch_id = $batch_id
        and outcome = 'applied'
        and action = 'add_tag'
        and lower(tag) not in (select tags.name_key from core.tags as tags)
    group by lower(tag)
)

select
    $first_id + row_number() over (order by name_key) - 1,
    name,
    name_key
from new_tags
order by name_key
