-- A number's consent timeline: the lists its contacts joined, with the file that added them and
-- (a contact import) the line of the row that became the contact.
with

members as (
    select
        memberships.list_id,
        memberships.contact_id,
        memberships.channel,
        memberships.status,
        memberships.first_batch_id,
        memberships.created_at
    from core.memberships as memberships
    inner join core.contacts as contacts on memberships.contact_id = contacts.contact_id
    where contacts.e164 = $e164
),

first_rows as (
    select
        row_contacts.batch_id,
        row_contacts.contact_id,
        min(row_contacts.row_number) as row_number
    from staging.row_contacts as row_contacts
    where row_contacts.contact_id in (select members.contact_id from members)
    group by row_contacts.batch_id, row_contacts.contact_id
)

select
    members.created_at as at,
    'membership' as category,
    'joined list' as event,
    members.channel,
    'status now ' || members.status as detail,
    null::varchar as recorded_by,
    members.contact_id,
    lists.name as list_name,
    members.first_batch_id as batch_id,
    first_rows.row_number,
    files.file_name,
    lines.line_number
from members
inner join core.lists as lists on members.list_id = lists.list_id
left join ops.batch_files as files on members.first_batch_id = files.batch_id
left join first_rows
    on members.first_batch_id = first_rows.batch_id and members.contact_id = first_rows.contact_id
left join staging.row_lines as lines
    on first_rows.batch_id = lines.batch_id and first_rows.row_number = lines.row_number
