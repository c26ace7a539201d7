-- Received texts from a deleted number keep their time, HMAC, intent and keyword (the consent
-- evidence) but not the number or the text (free text names people). Scope all: every text.
-- Returns each scrubbed text's batch, whose report is written again.
update staging.inbound_messages
set
    from_raw = null,
    e164 = null,
    body = null
where
    e164 in (select doomed_numbers.e164 from doomed_numbers)
    or ($scope = 'all' and (from_raw is not null or body is not null))
returning batch_id
