-- Web confirmations of a deleted number keep their time, outcome and HMAC, not the number.
-- Scope all: every row. Each scrubbed row's batch, whose report is written again, is read first
-- (deletion/web_confirmations_scrub_batches).
update staging.web_confirmations
set
    phone_raw = null,
    e164 = null
where
    e164 in (select doomed_numbers.e164 from doomed_numbers)
    or ($scope = 'all' and phone_raw is not null)
