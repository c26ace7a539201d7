-- What the inbound-export expectations see of each message (no number, no body): its
-- intent and outcome, and for opt-outs the business days between receipt and application
-- (ops.business_days_between: weekdays minus the configured holidays; 0 when received later).
create or replace view quality.inbound_outcomes as
select
    outcomes.batch_id,
    outcomes.row_number,
    outcomes.intent,
    outcomes.outcome,
    coalesce(outcomes.received_at > outcomes.applied_at, false) as received_in_future,
    case when outcomes.action = 'opt_out' and outcomes.received_at is not null then greatest(
        ops.business_days_between(outcomes.received_at::date, outcomes.applied_at::date), 0
    ) end as opt_out_business_days
from staging.inbound_outcomes as outcomes
