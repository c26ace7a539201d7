-- Stage the rows read (registered by Python as web_confirmations_read, numbers already parsed
-- and HMAC'd): the time read in the date order, the list named (the cell, else the manifest's
-- `list`), the ledger's suppression on the batch's channel, and the invalid rows' reasons.
insert into staging.web_confirmations (
    batch_id, row_number, line_number, read_issue, phone_raw, confirmed_at_raw, list_raw, has_email, e164,
    number_hmac, parse_error, confirmed_at, list_name, list_id, suppressed, outcome, reason
)
with

read_rows as (
    select
        row_number,
        line_number,
        read_issue,
        phone_raw,
        confirmed_at_raw,
        list_raw,
        has_email,
        e164,
        number_hmac,
        parse_error,
        coalesce(
            staging.parse_timestamp(confirmed_at_raw, $date_order),
            try_strptime(confirmed_at_raw, '%a, %d %b %Y %H:%M:%S %z')::timestamptz
        ) as confirmed_at,
        coalesce(list_raw, $list_name) as list_name
    from web_confirmations_read
),

ledger as (
    select
        number_hmac,
        suppressed
    from core.consent_state
    where channel = $channel
),

named as (
    select
        read_rows.*,
        lists.list_id,
        coalesce(ledger.suppressed, false) as suppressed
    from read_rows
    left join core.lists as lists on lists.name_key = lower(trim(read_rows.list_name))
    left join ledger on read_rows.number_hmac = ledger.number_hmac
),

checked as (
    select
        *,
        case
            when read_issue is not null then read_issue
            when phone_raw is null then 'missing_number'
            when e164 is null then 'invalid_number'
            when confirmed_at_raw is null then 'missing_confirmed_at'
            when confirmed_at is null then 'invalid_confirmed_at'
            when confirmed_at > $as_of then 'future_confirmed_at'
            when list_name is not null and list_id is null then 'unknown_list'
        end as invalid_reason
    from named
)

select
    $batch_id,
    row_number,
    line_number,
    read_issue,
    phone_raw,
    confirmed_at_raw,
    list_raw,
    has_email,
    e164,
    number_hmac,
    parse_error,
    confirmed_at,
    list_name,
    list_id,
    case when invalid_reason is null then suppressed end,
    case when invalid_reason is not null then 'invalid' end,
    invalid_reason
from checked
order by row_number
