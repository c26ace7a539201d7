-- Messages still waiting for a deleted contact, or for a number no contact keeps, never go.
update msg.outbox
set
    status = 'cancelled',
    status_reason = 'deleted',
    finished_at = current_timestamp,
    updated_at = current_timestamp
where
    status = 'queued'
    and (
        contact_id in (select contact_id from doomed_contacts)
        or e164 in (select e164 from doomed_numbers)
    )
