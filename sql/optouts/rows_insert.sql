-- One chunk of an opt-out file's rows (registered by optline.optouts as `optout_chunk`).
insert into staging.optout_rows (
    batch_id, row_number, line_number, read_issue, read_detail, contact_id_raw, phone_raw,
    first_name, last_name, email, address_line1, company, opted_out_at_raw, scope_raw, extra
)
select
    batch_id,
    row_number,
    line_number,
    read_issue,
    read_detail,
    contact_id_raw,
    phone_raw,
    first_name,
    last_name,
    email,
    address_line1,
    company,
    opted_out_at_raw,
    scope_raw,
    extra
from optout_chunk
