-- An audience export's rows (optline.contacts.audience_export): the members of list $list_name
-- that marts.audiences lets be messaged, on $channel (null: every channel), with a status in
-- $statuses, every exportable attribute and the contact's tags; the number in full only when
-- $unmasked. Kept in a temporary table the COPY statements read, then dropped.
create or replace temp table audience_export as
with

members as (
    select
        audiences.list_name,
        audiences.channel,
        audiences.status,
        audiences.contact_id,
        audiences.e164_masked
    from marts.audiences as audiences
    where
        lower(audiences.list_name) = lower($list_name)
        and ($channel is null or audiences.channel = $channel)
        and list_contains($statuses, audiences.status)
),

tags as (
    select
        contact_tags.contact_id,
        list(tag_names.name order by tag_names.name_key) as tags
    from core.contact_tags as contact_tags
    inner join core.tags as tag_names on contact_tags.tag_id = tag_names.tag_id
    where contact_tags.contact_id in (select members.contact_id from members)
    group by contact_tags.contact_id
)

select
    members.list_name,
    members.channel,
    members.status,
    members.contact_id,
    case when $unmasked then contacts.e164 else members.e164_masked end as phone,
    contacts.first_name,
    contacts.last_name,
    contacts.email,
    contacts.title,
    contacts.company,
    contacts.city,
    contacts.state,
    contacts.postcode,
    numbers.region,
    numbers.number_type,
    coalesce(tags.tags, []::varchar[]) as tags
from members
inner join core.contacts as contacts on members.contact_id = contacts.contact_id
inner join core.phone_numbers as numbers on contacts.e164 = numbers.e164
left join tags on members.contact_id = tags.contact_id
order by members.contact_id, members.channel
