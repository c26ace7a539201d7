-- Inbound messages per batch, intent, outcome and reason, for analysts: counts only.
create or replace view marts.inbound_outcomes as
select
    batches.batch_id,
    batches.file_name,
    batches.channel,
    outcomes.intent,
    outcomes.outcome,
    outcomes.reason,
    count(*) as messages
from staging.inbound_outcomes as outcomes
inner join ops.inbound_batches as batches on outcomes.batch_id = batches.batch_id
group by all
