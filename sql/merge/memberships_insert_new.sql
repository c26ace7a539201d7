-- Every contact of the batch joins every list the batch targets, pending confirmation (a
-- membership it has is kept as it is).
insert into core.memberships (list_id, contact_id, channel, first_batch_id)
with

batch_lists as (
    select
        lists.list_id,
        batches.channel
    from ops.batches as batches
    inner join core.lists as lists
        on list_contains(list_transform(batches.list_names, n -> lower(trim(n))), lists.name_key)
    where batches.batch_id = $batch_id
)

select distinct
    batch_lists.list_id,
    matches.contact_id,
    batch_lists.channel,
    $batch_id
from contact_matches as matches
cross join batch_lists
where
    not exists (
        select 1 from core.memberships as existing
        where
            existing.list_id = batch_lists.list_id
            and existing.contact_id = matches.contact_id
            and existing.channel = batch_lists.channel
    )
order by 1, 2
