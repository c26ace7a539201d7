-- Every batch of every kind with its file: a batch id names one file whatever its kind (the
-- kinds share the `batch_id` counter), so a ledger event's or a membership's batch_id finds its
-- file here. The consent timeline reads it (optline.consent.timeline).
create or replace view ops.batch_files as
select
    batch_id,
    'contacts' as batch_kind,
    file_name
from ops.batches
union all
select
    batch_id,
    'optouts' as batch_kind,
    file_name
from ops.optout_batches
union all
select
    batch_id,
    'inbound' as batch_kind,
    file_name
from ops.inbound_batches
union all
select
    batch_id,
    'confirmations' as batch_kind,
    file_name
from ops.confirmation_batches
union all
select
    batch_id,
    'touchups' as batch_kind,
    file_name
from ops.touchup_batches
