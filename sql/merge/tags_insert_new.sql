-- Tags named by the manifest or by a row's tags cell (split on , ; |) that are new,
-- numbered from $first_id by name (optline.ids, `tag_id`).
insert into core.tags (tag_id, name, name_key)
with

named as (
    select trim(unnest($manifest_tags)) as name
    union all
    select trim(unnest(string_split_regex(rows.tags_raw, '[,;|]'))) as name
    from staging.contact_rows as rows
    inner join staging.row_outcomes as outcomes
        on rows.batch_id = outcomes.batch_id and rows.row_number = outcomes.row_number
    where rows.batch_id = $batch_id and outcomes.accepted and rows.tags_raw is not null
),

new_tags as (
    select
        lower(name) as name_key,
        min(name) as name
    from named
    where name <> '' and lower(name) not in (select tags.name_key from core.tags as tags)
    group by lower(name)
)

select
    $first_id + row_number() over (order by name_key) - 1,
    name,
    name_key
from new_tags
order by name_key
