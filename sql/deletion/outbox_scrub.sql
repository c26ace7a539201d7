-- The outbox keeps what it did for a deleted number or contact (key, status, provider id,
-- times) but not the number or the text. A claim whose outcome is still unknown keeps both
-- until the dispatcher has reconciled it with the provider. How many it scrubs is counted
-- first (deletion/outbox_scrub_count).
update msg.outbox
set
    e164 = '',
    body = '',
    contact_id = null,
    updated_at = current_timestamp
where
    status <> 'claimed'
    and (e164 <> '' or body <> '')
    and (
        e164 in (select doomed_numbers.e164 from doomed_numbers)
        or contact_id in (select doomed_contacts.contact_id from doomed_contacts)
    )
