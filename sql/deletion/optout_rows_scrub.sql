-- An opt-out file's row that names a deleted person keeps its lineage (batch, row, line), its
-- date and scope cells, not the person: the evidence is the ledger's event (HMAC, time,
-- source, batch, row). Each scrubbed row's batch, whose report is written again, is read first
-- (deletion/optout_rows_scrub_batches).
update staging.optout_rows as optout_rows
set
    phone_raw = null,
    first_name = null,
    last_name = null,
    email = null,
    address_line1 = null,
    company = null,
    extra = null
from doomed_optout_rows as doomed
where optout_rows.batch_id = doomed.batch_id and optout_rows.row_number = doomed.row_number
