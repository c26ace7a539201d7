-- Numbers no remaining contact uses once the doomed contacts are gone.
create or replace temp table doomed_numbers as
select distinct doomed.e164
from doomed_contacts as doomed
where not exists (
    select 1 from core.contacts as others
    where
        others.e164 = doomed.e164
        and others.contact_id not in (select doomed_contacts.contact_id from doomed_contacts)
)
