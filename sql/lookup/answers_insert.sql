-- The providers' answers (registered by optline.lookup.cache as `lookup_answers`) into the cache.
insert into ops.number_lookups (
    number_hmac, kind, provider, line_type, carrier_name, reassigned, verified_date, error_code, checked_at,
    batch_id, source
)
select
    answers.number_hmac,
    $kind,
    answers.provider,
    answers.line_type,
    answers.carrier_name,
    answers.reassigned,
    answers.verified_date::date,
    answers.error_code,
    answers.checked_at::timestamptz,
    answers.batch_id,
    answers.source
from lookup_answers as answers
qualify row_number() over (partition by answers.number_hmac order by answers.checked_at desc) = 1
