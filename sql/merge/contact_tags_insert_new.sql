-- The batch's contacts get the manifest's tags and their rows' tags (a tag a contact has is kept).
insert into core.contact_tags (contact_id, tag_id, first_batch_id)
with

row_tags as (
    select
        matches.contact_id,
        lower(trim(unnest($manifest_tags))) as name_key
    from contact_matches as matches
    union
    select
        row_contacts.contact_id,
        lower(trim(unnest(string_split_regex(rows.tags_raw, '[,;|]')))) as name_key
    from staging.row_contacts as row_contacts
    inner join staging.contact_rows as rows
        on row_contacts.batch_id = rows.batch_id and row_contacts.row_number = rows.row_number
    where row_contacts.batch_id = $batch_id and rows.tags_raw is not null
)

select distinct
    row_tags.contact_id,
    tags.tag_id,
    $batch_id
from row_tags
inner join core.tags as tags on row_tags.name_key = tags.name_key
where
    not exists (
        select 1 from core.contact_tags as existing
        where existing.contact_id = row_tags.contact_id and existing.tag_id = tags.tag_id
    )
order by 1, 2
