-- The parsed rows of one file: the Arrow table `listops_rows` that listops registers.
insert into list_operations (
    row_number,
    action,
    list_name,
    e164,
    number_hmac,
    tag
)
select
    row_number,
    action,
    list_name,
    e164,
    number_hmac,
    tag
from listops_rows
