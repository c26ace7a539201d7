-- What each message of the batch does, decided in the order received (then row order).
-- Within a file a number's state moves with its own messages: an opt-out suppresses the
-- file's channel; START (applied or not) and a keyword join leave it not suppressed. Before
-- its first message in the file, the ledger's state (core.consent_state) holds. A possible
-- revocation is applied to nothing: it waits for a person (outcome `review`), never dropped
-- for its timestamp, and leaves the number's state as it was.
insert into staging.inbound_outcomes (
    batch_id, row_number, apply_order, received_at, effective_at, intent, keyword, outcome, action, reason,
    scope, welcome, applied_at
)
with

batch as (
    select
        batch_id,
        channel
    from ops.inbound_batches
    where batch_id = $batch_id
),

messages as (
    select
        messages.batch_id,
        messages.row_number,
        messages.read_issue,
        messages.from_raw,
        messages.e164,
        messages.number_hmac,
        messages.direction,
        messages.intent,
        messages.keyword,
        messages.revocation_rule,
        lower(trim(messages.list_name)) as list_key,
        batch.channel,
        coalesce(
            staging.parse_timestamp(messages.received_at_raw, $date_order),
            try_strptime(messages.received_at_raw, '%a, %d %b %Y %H:%M:%S %z')::timestamptz
        ) as received_at
    from staging.inbound_messages as messages
    inner join batch on messages.batch_id = batch.batch_id
),

checked as (
    select
        *,
        coalesce(lower(direction) not like 'inbound%', false) as not_inbound,
        case
            when read_issue is not null then read_issue
            when from_raw is null then 'missing_from'
            when e164 is null then 'invalid_number'
            -- an opt-out (or a possible one) is never dropped for its timestamp: it takes effect
            -- (its clock runs) from when it was applied at the latest
            when intent in ('opt_out', 'possible_revocation') then null
            when received_at is null then 'invalid_received_at'
            when received_at > $applied_at then 'future_received_at'
        end as invalid_reason
    from messages
),

valid as (
    select
        *,
        case
            when intent = 'opt_out' then coalesce(least(received_at, $applied_at), $applied_at)
            when intent = 'possible_revocation' then null  -- no consent event until decided
            else received_at
        end as effective_at,
        row_number() over (
            order by coalesce(least(received_at, $applied_at), $applied_at), row_number
        ) as apply_order,
        case when intent = 'opt_out' then true when intent in ('opt_in', 'join') then false end as sets_suppressed
    from checked
    where not not_inbound and invalid_reason is null
),

sequenced as (
    select
        *,
        last_value(sets_suppressed ignore nulls) over (
            partition by number_hmac order by apply_order rows between unbounded preceding and 1 preceding
        ) as suppressed_by_file,
        row_number() over (partition by number_hmac, intent, list_key order by apply_order) as rank_in_file
    from valid
),

ledger as (
    select
        consent.number_hmac,
        consent.suppressed
    from core.consent_state as consent
    inner join batch on consent.channel = batch.channel
),

pending as (
    select distinct contacts.e164
    from core.memberships as memberships
    inner join core.contacts as contacts on memberships.contact_id = contacts.contact_id
    inner join batch on memberships.channel = batch.channel
    where memberships.status = 'pending'
),

earlier_joins as (
    select
        joins.number_hmac,
        lists.name_key
    from msg.keyword_joins as joins
    inner join core.lists as lists on joins.list_id = lists.list_id
),

decided as (
    select
        sequenced.*,
        coalesce(sequenced.suppressed_by_file, ledger.suppressed, false) as was_suppressed,
        pending.e164 is not null as was_pending,
        earlier_joins.number_hmac is not null as joined_before
    from sequenced
    left join ledger on sequenced.number_hmac = ledger.number_hmac
    left join pending on sequenced.e164 = pending.e164
    left join earlier_joins
        on sequenced.number_hmac = earlier_joins.number_hmac and sequenced.list_key = earlier_joins.name_key
),

applied as (
    select
        batch_id,
        row_number,
        apply_order,
        received_at,
        effective_at,
        intent,
        keyword,
        case
            when intent = 'possible_revocation' then 'review'
            when intent in ('opt_out', 'help', 'join') then 'applied'
            when intent = 'opt_in' and (was_suppressed or was_pending) then 'applied'
            else 'ignored'
        end as outcome,
        case
            when intent = 'opt_out' then 'opt_out'
            when intent = 'opt_in' and (was_suppressed or was_pending) then 'resubscribe'
            when intent = 'help' then 'help_reply'
            when intent = 'join' then 'join'
            else 'none'
        end as action,
        case
            when intent = 'possible_revocation' then 'possible_revocation'
            when intent = 'opt_in' and not (was_suppressed or was_pending) then 'not_opted_out'
            when intent = 'other' then 'no_keyword'
        end as reason,
        case
            when intent = 'opt_out' and revocation_rule = 'all_channels' then 'all'
            -- a possible revocation: the channel an opt-out would cover, for whoever decides it
            when
                intent in ('opt_out', 'join', 'possible_revocation')
                or (intent = 'opt_in' and (was_suppressed or was_pending))
                then channel
        end as scope,
        intent = 'join' and rank_in_file = 1 and not joined_before as welcome
    from decided
),

not_applied as (
    select
        batch_id,
        row_number,
        null::bigint as apply_order,
        received_at,
        null::timestamptz as effective_at,
        intent,
        keyword,
        case when not_inbound then 'ignored' else 'invalid' end as outcome,
        'none' as action,
        case when not_inbound then 'not_inbound' else invalid_reason end as reason,
        null as scope,
        false as welcome
    from checked
    where not_inbound or invalid_reason is not null
),

outcomes as (
    select * from applied
    union all
    select * from not_applied
)

select
    batch_id,
    row_number,
    apply_order,
    received_at,
    effective_at,
    intent,
    keyword,
    outcome,
    action,
    reason,
    scope,
    welcome,
    $applied_at
from outcomes
order by row_number
