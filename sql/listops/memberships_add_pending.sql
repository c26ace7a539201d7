-- An applied add_member row without opt-in evidence: every contact at the number joins the
-- list *pending*, on each of its channels the ledger does not suppress; the welcome
-- (double opt-in) follows (messaging/welcome_candidates). An existing membership stays as it is.
insert into core.memberships (list_id, contact_id, channel, status, first_batch_id)
with

joining as (
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
        and touchup_rows.opted_in_at is null
        and not coalesce(consent.suppressed, false)
)

select
    list_id,
    contact_id,
    channel,
    'pending',
    $batch_id
from joining
where
    not exists (
        select 1 from core.memberships as existing
        where
            existing.list_id = joining.list_id
            and existing.contact_id = joining.contact_id
            and existing.channel = joining.channel
    )
order by list_id, contact_id, channel
