insert into core.contact_tags (contact_id, tag_id, first_batch_id)
with

row_tags as (
    select
        outcomes.contact_id,
        lower(trim(unnest($manifest_tags))) as name_key
    from staging.row_outcomes as outcomes
    where outcomes.batch_id = $batch_id and outcomes.accepted
    union
    select
        outcomes.contact_id,
        lower(trim(unnest(string_split_regex(rows.tags_raw, '[,;|]')))) as name_key
    from staging.row_outcomes as outcomes
    inner join staging.contact_rows as rows
        on outcomes.batch_id = rows.batch_id and outcomes.row_number = rows.row_number
    where outcomes.batch_id = $batch_id and outcomes.accepted and rows.tags_raw is not null
)

select distinct
    row_tags.contact_id,
    tags.tag_id,
    $batch_id
from row_tags
inner join core.tags as tags on row_tags.name_key = tags.name_key
order by 1, 2
on conflict do nothing
