-- Every possible revocation and what a person decided (null: undecided), for analysts: no
-- number, no message body, no account. business_days: Monday-Friday dates (UTC) after the
-- receipt (else the file's application, when the receipt was unreadable or later) up to the
-- decision, or up to today while undecided (as optline.consent.businessdays; holidays count).
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

ordinals as (
    -- days since Monday 0001-01-01 (day 1), of each end's UTC date
    select
        batch_id,
        row_number,
        rule,
        received_at,
        decision,
        decided_at,
        date_diff('day', date '0001-01-01', cast(timezone('UTC', clock_start_at) as date)) + 1 as start_ordinal,
        date_diff('day', date '0001-01-01', cast(timezone('UTC', clock_end_at) as date)) + 1 as end_ordinal
    from held
),

counted as (
    -- weekdays up to a date: 5 per whole week, plus the days of its week up to Friday
    select
        batch_id,
        row_number,
        rule,
        received_at,
        decision,
        decided_at,
        ((end_ordinal // 7) * 5 + least(end_ordinal % 7, 5))
        - ((start_ordinal // 7) * 5 + least(start_ordinal % 7, 5)) as business_days
    from ordinals
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
