-- What the inbound-export expectations see of each message (no number, no body): its
-- intent and outcome, and for opt-outs the weekdays between receipt and application.
create or replace view quality.inbound_outcomes as
select
    outcomes.batch_id,
    outcomes.row_number,
    outcomes.intent,
    outcomes.outcome,
    coalesce(outcomes.received_at > outcomes.applied_at, false) as received_in_future,
    case when outcomes.action = 'opt_out' and outcomes.received_at is not null then (
        select count(*)
        from range(outcomes.received_at::date + 1, outcomes.applied_at::date + 1, interval 1 day) as days (day)
        where dayofweek(days.day) not in (0, 6)
    ) end as opt_out_business_days
from staging.inbound_outcomes as outcomes
