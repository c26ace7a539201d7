-- The batch's counts, once every row has its outcome.
update ops.confirmation_batches
set
    confirmed = $confirmed,
    ignored = $ignored,
    invalid = $invalid,
    memberships_confirmed = $memberships_confirmed
where batch_id = $batch_id
