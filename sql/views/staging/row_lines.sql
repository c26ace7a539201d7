-- The physical line of every staged row of every kind of batch (batch_id, row_number): the
-- lineage from a ledger event, confirmation or membership back to its file's line. The consent
-- timeline reads it for one number's rows only (optline.consent.timeline).
create or replace view staging.row_lines as
select
    batch_id,
    row_number,
    line_number
from staging.contact_rows
union all
select
    batch_id,
    row_number,
    line_number
from staging.optout_rows
union all
select
    batch_id,
    row_number,
    line_number
from staging.inbound_messages
union all
select
    batch_id,
    row_number,
    line_number
from staging.web_confirmations
union all
select
    batch_id,
    row_number,
    line_number
from staging.touchup_rows
