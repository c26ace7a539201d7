-- One consent event a person recorded by hand (optline.consent.manual: `optline opt-out` /
-- `opt-in`, the plugin's number page), method `manual`, with who recorded it and the note; the
-- contact named is the earliest at the number (none for a number no contact has). Its id is
-- $first_id (optline.ids, `consent_event_id`).
insert into core.consent_events (
    event_id, number_hmac, scope, kind, effective_at, source, method, contact_id, batch_id, row_number, dag_id,
    run_id, recorded_at, recorded_by, recorded_by_id, note
)
with

earliest_contact as (
    select min(contacts.contact_id) as contact_id
    from core.contacts as contacts
    inner join core.phone_numbers as numbers on contacts.e164 = numbers.e164
    where numbers.number_hmac = $number_hmac
)

select
    $first_id,
    $number_hmac,
    $scope,
    $kind,
    $effective_at,
    $source,
    'manual',
    earliest_contact.contact_id,
    null,
    null,
    $dag_id,
    null,
    $effective_at,
    $recorded_by,
    $recorded_by_id,
    $note
from earliest_contact
