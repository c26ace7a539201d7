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
        where matches.existed
    )
where batch_id = $batch_id
