-- What the opt-out-file expectations see of each row (no number, no name).
create or replace view quality.optout_outcomes as
select
    outcomes.batch_id,
    outcomes.row_number,
    outcomes.outcome,
    outcomes.reason_code,
    coalesce(outcomes.opted_out_at > batches.as_of, false) as opted_out_in_future,
    outcomes.outcome = 'invalid' or len(outcomes.numbers) > 0 as suppression_recorded
from staging.optout_outcomes as outcomes
inner join ops.optout_batches as batches on outcomes.batch_id = batches.batch_id
