-- The outbox keeps what it did for a deleted number (key, status, provider id, times) but
-- not the number or the text. A claim whose outcome is still unknown keeps both until the
-- dispatcher has reconciled it with the provider.
update msg.outbox
set
    e164 = '',
    body = '',
    contact_id = null,
    updated_at = current_timestamp
where status <> 'claimed' and e164 in (select e164 from doomed_numbers)
