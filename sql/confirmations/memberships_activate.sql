-- The memberships a batch confirmed (core.confirmations) become active: double opt-in done.
update core.memberships as memberships
set status = 'active'
from core.confirmations as confirmations
where
    confirmations.batch_id = $batch_id
    and memberships.list_id = confirmations.list_id
    and memberships.contact_id = confirmations.contact_id
    and memberships.channel = confirmations.channel
    and memberships.status = 'pending'
