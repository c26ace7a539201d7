-- The distinct numbers of an import batch a line-type lookup is for: parsed, from one of the
-- policy's lookup countries, and not already refused by phonenumbers' own number type (those
-- are rejected without asking anyone), each with its freshest cached answer, if any.
create or replace macro ops.line_type_numbers(for_batch_id, countries, reject_types) as table
    with

    numbers as (
        select distinct
            e164,
            number_hmac
        from staging.phone_parses
        where
            batch_id = for_batch_id
            and e164 is not null
            and parse_error is null
            and list_contains(countries, region)
            and not list_contains(reject_types, coalesce(number_type, ''))
    )

    select
        numbers.e164,
        numbers.number_hmac,
        answers.checked_at,
        answers.batch_id as asked_by_batch_id
    from numbers
    left join ops.number_lookups as answers
        on numbers.number_hmac = answers.number_hmac and answers.kind = 'line_type'
