-- Every valid row's outcome: ignored when the ledger suppresses the number on the channel
-- (only the number's own START lifts an opt-out); confirmed when it is the earliest row to
-- reach a pending membership; else ignored as a duplicate in the file (the same number and
-- list earlier, or its memberships confirmed by an earlier row), as already confirmed (an
-- active or confirmed membership of the number on the channel, of its list when named),
-- or for want of a pending membership.
update staging.web_confirmations as web_rows
set
    outcome = decided.outcome,
    reason = decided.reason
from (
    with

    batch as (
        select batch_id, channel
        from ops.confirmation_batches
        where batch_id = $batch_id
    ),

    candidates as (
        select
            row_number,
            e164,
            list_id,
            suppressed,
            row_number() over (
                partition by number_hmac, list_id order by confirmed_at, row_number
            ) as rank_in_file
        from staging.web_confirmations
        where batch_id = $batch_id and outcome is null
    ),

    reach as (
        select
            row_number,
            count(*) as memberships,
            count(*) filter (where nth = 1) as wins
        from staging.web_confirmation_matches
        where batch_id = $batch_id
        group by row_number
    ),

    settled as (
        select distinct
            contacts.e164,
            memberships.list_id
        from core.memberships as memberships
        inner join core.contacts as contacts on contacts.contact_id = memberships.contact_id
        inner join batch on batch.channel = memberships.channel
        left join core.confirmations as confirmations
            on confirmations.list_id = memberships.list_id
            and confirmations.contact_id = memberships.contact_id
            and confirmations.channel = memberships.channel
        where memberships.status = 'active' or confirmations.list_id is not null
    ),

    settled_rows as (
        select distinct candidates.row_number
        from candidates
        inner join settled
            on settled.e164 = candidates.e164
            and (candidates.list_id is null or settled.list_id = candidates.list_id)
    ),

    decided as (
        select
            candidates.row_number,
            case
                when not candidates.suppressed and coalesce(reach.wins, 0) > 0 then 'confirmed'
                else 'ignored'
            end as outcome,
            case
                when candidates.suppressed then 'suppressed'
                when coalesce(reach.wins, 0) > 0 then null
                when candidates.rank_in_file > 1 or coalesce(reach.memberships, 0) > 0 then 'duplicate_in_file'
                when settled_rows.row_number is not null then 'already_confirmed'
                else 'no_pending_membership'
            end as reason
        from candidates
        left join reach on reach.row_number = candidates.row_number
        left join settled_rows on settled_rows.row_number = candidates.row_number
    )

    select row_number, outcome, reason
    from decided
) as decided
where web_rows.batch_id = $batch_id and web_rows.row_number = decided.row_number
