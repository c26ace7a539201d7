-- An applied add_tag row: every contact at the number gets the tag (a tag it has is kept).
insert into core.contact_tags (contact_id, tag_id, first_batch_id)
select distinct
    contacts.contact_id,
    tags.tag_id,
    $batch_id
from staging.touchup_rows as touchup_rows
inner join core.tags as tags on lower(touchup_rows.tag) = tags.name_key
inner join core.phone_numbers as numbers on touchup_rows.number_hmac = numbers.number_hmac
inner join core.contacts as contacts on numbers.e164 = contacts.e164
where
    touchup_rows.batch_id = $batch_id
    and touchup_rows.outcome = 'applied'
    and touchup_rows.action = 'add_tag'
    and not exists (
        select 1 from core.contact_tags as existing
        where existing.contact_id = contacts.contact_id and existing.tag_id = tags.tag_id
    )
