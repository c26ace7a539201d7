-- The keyword joins' memberships that do not exist yet, active from the start (the number
-- texted in itself); inbound/memberships_activate_joined activated the ones that exist.
insert into core.memberships (list_id, contact_id, channel, status, first_batch_id)
select
    joining.list_id,
    joining.contact_id,
    joining.channel,
    'active' as status,
    $batch_id as first_batch_id
from staging.inbound_joins as joining
where
    joining.batch_id = $batch_id
    and not exists (
        select 1
        from core.memberships as memberships
        where
            memberships.list_id = joining.list_id
            and memberships.contact_id = joining.contact_id
            and memberships.channel = joining.channel
    )
order by joining.list_id, joining.contact_id
