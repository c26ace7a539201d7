-- Every possible revocation and what a person decided (null: undecided), for analysts: no
-- number, no message body, no account. business_days: business days (UTC dates; Monday to
-- Friday minus the configured holidays, ops.business_days_between) after the receipt (else the
-- file's application, when the receipt was unreadable or later) up to the decision, or up to
-- today while undecided (as optline.consent.businessdays).
-- clock: over_limit beyond 10 (the FCC's limit), near_limit from 8, else ok.
create or replace view marts.possible_revocations as
with

held as (
    select
        outcomes.batch_id,
        outcomes.row_number,
        messages.revocation_rule as rule,
        outcomes.received_at,
        decisions.decision,
        decisions.decided_at,
        coalesce(least(outcomes.received_at, outcomes.applied_at), outcomes.applied_at) as clock_start_at,
        coalesce(decisions.decided_at, current_timestamp) as clock_end_at
    from staging.inbound_outcomes as outcomes
    inner join staging.inbound_messages as messages
        on outcomes.batch_id = messages.batch_id and outcomes.row_number = messages.row_number
    left join ops.revocation_decisions as decisions
        on outcomes.batch_id = decisions.batch_id and outcomes.row_number = decisions.row_number
    where outcomes.outcome = 'review' and outcomes.reason = 'possible_revocation'
),

counted as (
    select
        batch_id,
        row_number,
        rule,
        received_at,
        decision,
        decided_at,
        ops.business_days_between(
            cast(timezone('UTC', clock_start_at) as date), cast(timezone('UTC', clock_end_at) as date)
        ) as business_days
    from held
)

select
    batch_id,
    row_number,
    rule,
    received_at,
    decision,
    decided_at,
    business_days,
    case
        when business_days > 10 then 'over_limit'
        when business_days >= 8 then 'near_limit'
        else 'ok'
    end as clock
from counted
