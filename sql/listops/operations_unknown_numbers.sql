-- Rows naming a number no contact has: they cannot be applied (import the number first).
select operations.row_number
from list_operations as operations
where
    operations.e164 is not null
    and not exists (
        select 1 from core.contacts as contacts
        where contacts.e164 = operations.e164
    )
order by operations.row_number
