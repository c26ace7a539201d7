-- An applied remove_tag row: every contact at the number loses the tag.
delete from core.contact_tags as contact_tags
using
    staging.touchup_rows as touchup_rows,
    core.tags as tags,
    core.phone_numbers as numbers,
    core.contacts as contacts
where
    touchup_rows.batch_id = $batch_id
    and touchup_rows.outcome = 'applied'
    and touchup_rows.action = 'remove_tag'
    and tags.name_key = lower(touchup_rows.tag)
    and numbers.number_hmac = touchup_rows.number_hmac
    and contacts.e164 = numbers.e164
    and contact_tags.tag_id = tags.tag_id
    and contact_tags.contact_id = contacts.contact_id
