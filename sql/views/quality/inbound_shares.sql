-- One row per inbound export: shares of its messages by outcome.
create or replace view quality.inbound_shares as
select
    batch_id,
    count(*) as rows_read,
    count(*) filter (where outcome = 'invalid') / count(*) as invalid_share
from staging.inbound_outcomes
group by batch_id
