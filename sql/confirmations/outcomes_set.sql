-- Every valid row's outcome (the row's channel: its welcome's, else the batch's): ignored when
-- the ledger suppresses the number on the channel
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

    candidates as (
        select
            row_number,
            e164,
            list_id,
            channel,
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
            memberships.list_id,
            memberships.channel
        from core.memberships as memberships
        inner join core.contacts as contacts on memberships.contact_id = contacts.contact_id
        left join core.confirmations as confirmations
            on
                memberships.list_id = confirmations.list_id
                and memberships.contact_id = confirmations.contact_id
                and memberships.channel = confirmations.channel
        where memberships.status = 'active' or confirmations.list_id is not null
    ),

    settled_rows as (
        select distinct candidates.row_number
        from candidates
        inner join settled
            on
                candidates.e164 = settled.e164
                and candidates.channel = settled.channel
                and (candidates.list_id is null or candidates.list_id = settled.list_id)
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
        left join reach on candidates.row_number = reach.row_number
        left join settled_rows on candidates.row_number = settled_rows.row_number
    )

    select
        row_number,
        outcome,
        reason
    from decided
) as decided
where web_rows.batch_id = $batch_id and web_rows.row_number = decided.row_number
