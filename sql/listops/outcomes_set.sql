-- Every row of a touch-up file ends applied or rejected with a reason (the first that holds).
-- A touch-up never makes a member of a number the ledger suppresses, nor lifts an operator's
-- suspension of one: such rows are rejected `previously_opted_out` (only the number's own
-- START lifts an opt-out). Opt-in evidence needs a time (not after the run's clock) and a source.
update staging.touchup_rows as touchup_rows
set
    outcome = decided.outcome,
    reason = decided.reason,
    reason_detail = decided.reason_detail
from (
    with

    batch_rows as (
        select *
        from staging.touchup_rows
        where batch_id = $batch_id
    ),

    -- the channels of the contacts at each row's number, and whether the ledger suppresses them
    reachable as (
        select
            batch_rows.row_number,
            count(*) as channels,
            count(*) filter (where not coalesce(consent.suppressed, false)) as open_channels
        from batch_rows
        inner join core.phone_numbers as numbers on batch_rows.number_hmac = numbers.number_hmac
        inner join core.contacts as contacts on numbers.e164 = contacts.e164
        inner join core.contact_channels as channels on contacts.contact_id = channels.contact_id
        left join core.consent_state as consent
            on numbers.number_hmac = consent.number_hmac and channels.channel = consent.channel
        group by batch_rows.row_number
    ),

    known as (
        select distinct batch_rows.row_number
        from batch_rows
        inner join core.phone_numbers as numbers on batch_rows.number_hmac = numbers.number_hmac
        inner join core.contacts as contacts on numbers.e164 = contacts.e164
    ),

    judged as (
        select
            batch_rows.row_number,
            list_filter([
                case
                    when batch_rows.read_issue is not null
                        then {
                            'code': batch_rows.read_issue,
                            'detail': 'the row is blank or has more cells than the header'
                        }
                end,
                case
                    when
                        coalesce(batch_rows.action, '')
                        not in ('add_member', 'remove_member', 'add_tag', 'remove_tag', 'suspend', 'reactivate')
                        then {
                            'code': 'unknown_action',
                            'detail': 'use one of add_member, remove_member, add_tag, remove_tag, suspend, reactivate'
                        }
                end,
                case
                    when batch_rows.action in ('add_member', 'remove_member') and batch_rows.list_name is null
                        then {'code': 'missing_list', 'detail': batch_rows.action || ' needs a list'}
                end,
                case
                    when batch_rows.action in ('add_tag', 'remove_tag') and batch_rows.tag is null
                        then {'code': 'missing_tag', 'detail': batch_rows.action || ' needs a tag'}
                end,
                case
                    when batch_rows.phone_masked is null
                        then {'code': 'missing_number', 'detail': 'the row has no phone number'}
                end,
                case
                    when batch_rows.phone_masked is not null and batch_rows.number_hmac is null
                        then {
                            'code': 'invalid_number',
                            'detail': 'not a valid phone number (' || coalesce(batch_rows.parse_error, '?') || ')'
                        }
                end,
                case
                    when
                        batch_rows.action <> 'add_member'
                        and (batch_rows.opted_in_at_raw is not null or batch_rows.source is not null)
                        then {
                            'code': 'evidence_not_applicable',
                            'detail': 'opted_in_at and source are opt-in evidence for add_member rows only'
                        }
                end,
                case
                    when batch_rows.opted_in_at_raw is not null and batch_rows.opted_in_at is null
                        then {
                            'code': 'invalid_opted_in_at',
                            'detail': 'the opt-in time is not a date Optline reads (date order ' || $date_order || ')'
                        }
                end,
                case
                    when batch_rows.opted_in_at > $as_of
                        then {
                            'code': 'future_opted_in_at',
                            'detail': 'the opt-in time is after the run''s clock ('
                            || strftime($as_of, '%Y-%m-%d %H:%M')
                            || ' UTC)'
                        }
                end,
                case
                    when batch_rows.opted_in_at_raw is not null and batch_rows.source is null
                        then {
                            'code': 'missing_source',
                            'detail': 'opt-in evidence needs a source (where they opted in)'
                        }
                end,
                case
                    when batch_rows.opted_in_at_raw is null and batch_rows.source is not null
                        then {'code': 'missing_opted_in_at', 'detail': 'opt-in evidence needs the time they opted in'}
                end,
                case
                    when batch_rows.number_hmac is not null and known.row_number is null
                        then {'code': 'unknown_number', 'detail': 'no contact has this number: import it first'}
                end,
                case
                    when
                        batch_rows.action in ('add_member', 'reactivate')
                        and reachable.channels > 0
                        and reachable.open_channels = 0
                        then {
                            'code': 'previously_opted_out',
                            'detail': 'the consent ledger suppresses the number on every channel it has; '
                            || 'only the number''s own START lifts an opt-out'
                        }
                end
            ], f -> f is not null) as failures
        from batch_rows
        left join known on batch_rows.row_number = known.row_number
        left join reachable on batch_rows.row_number = reachable.row_number
    )

    select
        row_number,
        case when len(failures) = 0 then 'applied' else 'rejected' end as outcome,
        failures[1].code as reason,
        failures[1].detail as reason_detail
    from judged
) as decided
where touchup_rows.batch_id = $batch_id and touchup_rows.row_number = decided.row_number
