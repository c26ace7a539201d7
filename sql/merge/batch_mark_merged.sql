-- The batch is merged, with what it brought (read back by merge/batch_merged_counts).
update ops.batches
set
    status = 'merged',
    merged_at = current_timestamp,
    new_contacts = (
        select count(*) from core.contacts
        where first_batch_id = $batch_id
    ),
    merged_contacts = (
        select count(distinct matches.contact_id)
        from contact_matches as matches
        inner join core.contacts as contacts on matches.contact_id = contacts.contact_id
        where contacts.first_batch_id <> $batch_id
    )
where batch_id = $batch_id
