-- Stage the rows read (registered by Python as web_confirmations_read: numbers parsed and
-- HMAC'd, tokens' signatures checked, the tokens themselves dropped): the time read in the
-- date order, what the row confirms, the ledger's suppression there, and the invalid rows'
-- reasons. By number ($confirm_by = 'number'): the list named (the cell, else the manifest's
-- `list`) on the batch's channel. By token: the welcome the token's link id names gives the
-- number, list and channel; the list cell and the manifest's list are not used. A token that
-- confirmed its welcome before (core.confirmations, method link), or an earlier row's token
-- for the same welcome, is reused.
insert into staging.web_confirmations (
    batch_id, row_number, line_number, read_issue, phone_raw, confirmed_at_raw, list_raw, has_email, e164,
    number_hmac, parse_error, confirmed_at, list_name, list_id, suppressed, outcome, reason,
    link_id, link_expires_at, token_error, token_tail, outbox_id, channel
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
        link_id,
        link_expires_at,
        token_error,
        token_tail,
        coalesce(
            staging.parse_timestamp(confirmed_at_raw, $date_order),
            try_strptime(confirmed_at_raw, '%a, %d %b %Y %H:%M:%S %z')::timestamptz
        ) as confirmed_at,
        case when $confirm_by = 'number' then coalesce(list_raw, $list_name) end as named_list
    from web_confirmations_read
),

welcomes as (
    select
        outbox_id,
        link_id,
        e164,
        number_hmac,
        channel,
        list_id
    from msg.outbox
    -- a welcome scrubbed by a deletion (`optline delete`) names no one: its token is unknown
    where kind = 'welcome' and link_id is not null and e164 != ''
),

used_links as (
    select distinct outbox_id
    from core.confirmations
    where method = 'link' and outbox_id is not null
),

linked as (
    select
        read_rows.*,
        welcomes.outbox_id,
        welcomes.e164 as welcome_e164,
        welcomes.number_hmac as welcome_number_hmac,
        welcomes.list_id as welcome_list_id,
        coalesce(welcomes.channel, $channel) as channel,
        used_links.outbox_id is not null as link_used
    from read_rows
    left join welcomes on read_rows.link_id = welcomes.link_id
    left join used_links on welcomes.outbox_id = used_links.outbox_id
),

named as (
    select
        linked.*,
        coalesce(welcome_lists.name, named_lists.name, linked.named_list) as list_name,
        coalesce(linked.welcome_list_id, named_lists.list_id) as list_id,
        -- what the row confirms: a token row its welcome's number (unless the row's own disagrees)
        case
            when linked.outbox_id is not null and (linked.e164 is null or linked.e164 = linked.welcome_e164)
                then linked.welcome_e164
            else linked.e164
        end as confirms_e164,
        case
            when linked.outbox_id is not null and (linked.e164 is null or linked.e164 = linked.welcome_e164)
                then linked.welcome_number_hmac
            else linked.number_hmac
        end as confirms_number_hmac
    from linked
    left join core.lists as named_lists on lower(trim(linked.named_list)) = named_lists.name_key
    left join core.lists as welcome_lists on linked.welcome_list_id = welcome_lists.list_id
),

checked as (
    select
        *,
        case
            when read_issue is not null then read_issue
            when token_error is not null then token_error
            when $confirm_by = 'number' and phone_raw is null then 'missing_number'
            when phone_raw is not null and e164 is null then 'invalid_number'
            when confirmed_at_raw is null then 'missing_confirmed_at'
            when confirmed_at is null then 'invalid_confirmed_at'
            when confirmed_at > $as_of then 'future_confirmed_at'
            when $confirm_by = 'number' and named_list is not null and list_id is null then 'unknown_list'
            when link_id is not null and outbox_id is null then 'token_unknown'
            when outbox_id is not null and e164 is not null and e164 != welcome_e164 then 'token_number_mismatch'
            when confirmed_at > link_expires_at then 'token_expired'
            when link_used then 'token_reused'
        end as first_reason
    from named
),

-- of the still-valid rows carrying one welcome's token, the earliest confirms; the others reuse it
ranked as (
    select
        *,
        case
            when first_reason is null and outbox_id is not null
                then row_number() over (
                    partition by outbox_id, first_reason is null order by confirmed_at, row_number
                )
        end as use_in_file
    from checked
),

decided as (
    select
        *,
        coalesce(first_reason, case when use_in_file > 1 then 'token_reused' end) as invalid_reason
    from ranked
),

ledger as (
    select
        number_hmac,
        channel,
        suppressed
    from core.consent_state
)

select
    $batch_id,
    decided.row_number,
    decided.line_number,
    decided.read_issue,
    decided.phone_raw,
    decided.confirmed_at_raw,
    decided.list_raw,
    decided.has_email,
    decided.confirms_e164,
    decided.confirms_number_hmac,
    decided.parse_error,
    decided.confirmed_at,
    decided.list_name,
    decided.list_id,
    case when decided.invalid_reason is null then coalesce(ledger.suppressed, false) end,
    case when decided.invalid_reason is not null then 'invalid' end,
    decided.invalid_reason,
    decided.link_id,
    decided.link_expires_at,
    decided.token_error,
    decided.token_tail,
    decided.outbox_id,
    decided.channel
from decided
left join ledger
    on decided.confirms_number_hmac = ledger.number_hmac and decided.channel = ledger.channel
order by decided.row_number
