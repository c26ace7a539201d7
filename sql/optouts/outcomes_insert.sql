-- The verdict on every row of an opt-out file, set-based. One row out for every row in.
-- A row names its person by contact id, else by number (names and the extra columns narrow
-- the contacts sharing it), else by email. A valid number is suppressed even when no
-- contact matches it; a row that yields no number is invalid with a reason.
insert into staging.optout_outcomes (
    batch_id, row_number, outcome, reason_code, reason_column, reason_detail, matched_by, scope,
    opted_out_at, e164, matches, numbers
)
with

rows as (
    select *
    from staging.optout_rows
    where batch_id = $batch_id
),

parsed as (
    select
        rows.*,
        parses.e164,
        parses.parse_error,
        regexp_matches(rows.phone_raw, '^[+-]?[0-9]+([.,][0-9]+)?[eE][+-]?[0-9]+$') as excel_mangled,
        try_cast(rows.contact_id_raw as bigint) as contact_id,
        case
            when rows.contact_id_raw is not null then 'contact_id'
            when rows.phone_raw is not null then 'number'
            when rows.email is not null then 'email'
        end as matched_by,
        coalesce(
            staging.parse_timestamp(rows.opted_out_at_raw, $date_order),
            case when rows.opted_out_at_raw is null then $default_opted_out_at::timestamptz end
        ) as opted_out_at,
        lower(regexp_replace(coalesce(rows.scope_raw, ''), '[^A-Za-z0-9]', '', 'g')) as scope_key
    from rows
    left join staging.optout_phone_parses as parses
        on rows.batch_id = parses.batch_id and rows.phone_raw = parses.phone_raw
),

scoped as (
    select
        parsed.*,
        case
            when parsed.scope_raw is null then $scope
            when
                parsed.scope_key in ('all', 'allphone', 'phone', 'primaryphone', 'primaryphoneoptout', 'everything')
                then 'all'
            when parsed.scope_key in ('sms', 'smsonly', 'text', 'texts', 'textonly', '10dlc', '10dlclocal') then 'sms'
            when parsed.scope_key in ('whatsapp', 'wa') then 'whatsapp'
        end as scope
    from parsed
),

-- rows that name a contact by id: exactly that contact
by_id as (
    select
        scoped.row_number,
        contacts.contact_id,
        contacts.e164
    from scoped
    inner join core.contacts as contacts on scoped.contact_id = contacts.contact_id
    where scoped.matched_by = 'contact_id'
),

-- rows that give a number (and no contact id): every contact at the number
-- rows that give only an email: every contact with that email (case-insensitive)
candidates as (
    select
        scoped.row_number,
        contacts.*
    from scoped
    inner join core.contacts as contacts on scoped.e164 = contacts.e164
    where scoped.matched_by = 'number'
    union all
    select
        scoped.row_number,
        contacts.*
    from scoped
    inner join core.contacts as contacts on lower(trim(contacts.email)) = lower(trim(scoped.email))
    where scoped.matched_by = 'email'
),

-- names, when given, must agree; the extra columns score how well the rest agree
scored as (
    select
        candidates.row_number,
        candidates.contact_id,
        candidates.e164,
        (
            (scoped.first_name is null or lower(trim(candidates.first_name)) = lower(trim(scoped.first_name)))
            and (scoped.last_name is null or lower(trim(candidates.last_name)) = lower(trim(scoped.last_name)))
        ) as names_agree,
        (
            coalesce(lower(trim(candidates.email)) = lower(trim(scoped.email)), false)::integer
            + coalesce(
                regexp_replace(lower(candidates.address_line1), '[^a-z0-9]', '', 'g')
                = regexp_replace(lower(scoped.address_line1), '[^a-z0-9]', '', 'g'),
                false
            )::integer
            + coalesce(
                regexp_replace(lower(candidates.company), '[^a-z0-9]', '', 'g')
                = regexp_replace(lower(scoped.company), '[^a-z0-9]', '', 'g'),
                false
            )::integer
        ) as extras_agreeing
    from candidates
    inner join scoped on candidates.row_number = scoped.row_number
),

-- among the contacts whose names agree, keep those the extra columns agree with most
narrowed as (
    select
        row_number,
        contact_id,
        e164
    from scored
    where coalesce(names_agree, false)
    qualify extras_agreeing = max(extras_agreeing) over (partition by row_number)
),

matched as (
    select
        row_number,
        list({'contact_id': contact_id, 'e164': e164} order by contact_id) as matches
    from (
        select
            row_number,
            contact_id,
            e164
        from by_id
        union all
        select
            row_number,
            contact_id,
            e164
        from narrowed
    ) as found
    group by row_number
),

judged as (
    select
        scoped.*,
        coalesce(matched.matches, []) as matches,
        by_id.e164 as contact_e164,
        list_filter([
            case
                when scoped.read_issue = 'blank_row'
                    then {'code': 'blank_row', 'col': null, 'detail': scoped.read_detail}
            end,
            case
                when scoped.read_issue = 'extra_fields'
                    then {'code': 'malformed_row', 'col': null, 'detail': scoped.read_detail}
            end,
            case
                when scoped.read_issue is null and scoped.matched_by is null
                    then {
                        'code': 'missing_identifier', 'col': null,
                        'detail': 'the row has no contact id, phone number or email'
                    }
            end,
            case
                when scoped.matched_by = 'contact_id' and scoped.contact_id is null
                    then {
                        'code': 'invalid_contact_id', 'col': 'contact_id',
                        'detail': 'the contact id is not a whole number'
                    }
            end,
            case
                when scoped.matched_by = 'contact_id' and scoped.contact_id is not null and by_id.contact_id is null
                    then {
                        'code': 'unknown_contact_id', 'col': 'contact_id',
                        'detail': 'no contact in the warehouse has this id'
                    }
            end,
            case
                when scoped.excel_mangled
                    then {
                        'code': 'excel_mangled_number', 'col': 'phone',
                        'detail': 'the phone is in scientific notation (Excel dropped digits); '
                        || 're-export the column as text'
                    }
            end,
            case
                when not coalesce(scoped.excel_mangled, false) and scoped.parse_error is not null
                    then {
                        'code': 'invalid_number', 'col': 'phone',
                        'detail': 'not a valid phone number ('
                        || scoped.parse_error
                        || ') for default country '
                        || $default_country
                    }
            end,
            case
                when by_id.e164 is not null and scoped.e164 is not null and by_id.e164 <> scoped.e164
                    then {
                        'code': 'contact_number_mismatch', 'col': 'phone',
                        'detail': 'the number is not the number of the contact the row names by id'
                    }
            end,
            case
                when scoped.matched_by = 'email' and matched.matches is null
                    then {
                        'code': 'unknown_email', 'col': 'email',
                        'detail': 'no contact in the warehouse has this email (and these names, if given), '
                        || 'and the row has no number'
                    }
            end,
            case
                when scoped.opted_out_at_raw is not null and scoped.opted_out_at is null
                    then {
                        'code': 'invalid_opt_out_date', 'col': 'opt_out_date',
                        'detail': 'the opt-out date is not a date Optline reads (date order ' || $date_order || ')'
                    }
            end,
            case
                when scoped.opted_out_at > $as_of
                    then {
                        'code': 'future_opt_out_date', 'col': 'opt_out_date',
                        'detail': 'the opt-out date is after the run''s clock ('
                        || strftime($as_of, '%Y-%m-%d %H:%M')
                        || ' UTC)'
                    }
            end,
            case
                when scoped.scope is null
                    then {
                        'code': 'invalid_scope', 'col': 'scope',
                        'detail': 'the scope is not all, sms or whatsapp'
                    }
            end
        ], f -> f is not null) as failures
    from scoped
    left join matched on scoped.row_number = matched.row_number
    left join by_id on scoped.row_number = by_id.row_number
)

select
    batch_id,
    row_number,
    case
        when len(failures) > 0 then 'invalid'
        when len(matches) > 0 then 'matched'
        else 'suppressed_unmatched'
    end as outcome,
    failures[1].code as reason_code,
    failures[1].col as reason_column,
    failures[1].detail as reason_detail,
    matched_by,
    scope,
    opted_out_at,
    e164,
    case when len(failures) > 0 then [] else matches end as matches,
    case
        when len(failures) > 0 then []
        when e164 is not null then [e164]
        else list_sort(list_distinct(list_transform(matches, m -> m.e164)))
    end as numbers
from judged
order by row_number
