-- An applied add_member row with opt-in evidence (a time and a source): every contact at the
-- number is an active member of the list on each of its channels the ledger does not
-- suppress; a pending membership becomes active. Its opt_in events: listops/consent_events_insert.
merge into core.memberships as memberships
using (
    select distinct
        lists.list_id,
        contacts.contact_id,
        channels.channel
    from staging.touchup_rows as touchup_rows
    inner join core.lists as lists on lower(touchup_rows.list_name) = lists.name_key
    inner join core.phone_numbers as numbers on touchup_rows.number_hmac = numbers.number_hmac
    inner join core.contacts as contacts on numbers.e164 = contacts.e164
    inner join core.contact_channels as channels on contacts.contact_id = channels.contact_id
    left join core.consent_state as consent
        on numbers.number_hmac = consent.number_hmac and channels.channel = consent.channel
    where
        touchup_rows.batch_id = $batch_id
        and touchup_rows.outcome = 'applied'
        and touchup_rows.action = 'add_member'
        and touchup_rows.opted_in_at is not null
        and not coalesce(consent.suppressed, false)
) as joining
    on
        memberships.list_id = joining.list_id
        and memberships.contact_id = joining.contact_id
        and memberships.channel = joining.channel
when matched then update set status = 'active'
when not matched then
    insert (list_id, contact_id, channel, status, first_batch_id)
    values (joining.list_id, joining.contact_id, joining.channel, 'active', $batch_id)
