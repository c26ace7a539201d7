-- An applied remove_member row: every contact at the number leaves the list, on every channel.
delete from core.memberships as memberships
using
    staging.touchup_rows as touchup_rows,
    core.lists as lists,
    core.phone_numbers as numbers,
    core.contacts as contacts
where
    touchup_rows.batch_id = $batch_id
    and touchup_rows.outcome = 'applied'
    and touchup_rows.action = 'remove_member'
    and lists.name_key = lower(touchup_rows.list_name)
    and numbers.number_hmac = touchup_rows.number_hmac
    and contacts.e164 = numbers.e164
    and memberships.list_id = lists.list_id
    and memberships.contact_id = contacts.contact_id
