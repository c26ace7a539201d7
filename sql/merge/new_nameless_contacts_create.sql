-- The batch's contacts without names at numbers no contact has yet (after the named ones went
-- in), in the order their ids follow (number): numbered by their place here, as the named ones.
create or replace temp table new_nameless_contacts as
select
    incoming.e164,
    incoming.name_key,
    incoming.email,
    incoming.dob,
    incoming.title,
    incoming.address_line1,
    incoming.address_line2,
    incoming.city,
    incoming.state,
    incoming.postcode,
    incoming.company,
    incoming.alternate_phone
from incoming_contacts as incoming
where
    incoming.is_nameless
    and not exists (
        select 1 from core.contacts as existing
        where existing.e164 = incoming.e164
    )
order by incoming.e164
