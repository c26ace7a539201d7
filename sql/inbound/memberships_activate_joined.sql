-- A keyword join makes the number's contact (the earliest at the number) an active member of
-- the keyword's list on the batch's channel: the number texted in itself, an explicit opt-in.
-- Here a membership that exists (pending: an imported number not yet confirmed) becomes active;
-- inbound/memberships_insert_joined adds the ones that do not. (Two statements, not one merge:
-- DuckLake 1.5.5 fails a merge into a table the same transaction updated, "TProtocolException".)
update core.memberships
set status = 'active'
from staging.inbound_joins as joining
where
    joining.batch_id = $batch_id
    and memberships.list_id = joining.list_id
    and memberships.contact_id = joining.contact_id
    and memberships.channel = joining.channel
    and memberships.status <> 'active'
