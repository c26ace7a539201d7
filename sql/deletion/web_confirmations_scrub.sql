-- Web confirmations of a deleted number keep their time, outcome and HMAC, not the number.
-- Scope all: every row. Returns each scrubbed row's batch, whose report is written again.
update staging.web_confirmations
set
    phone_raw = null,
    e164 = null
where
    e164 in (select doomed_numbers.e164 from doomed_numbers)
    or ($scope = 'all' and phone_raw is not null)
returning batch_id
