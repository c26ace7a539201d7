-- Received texts from a deleted number keep their time, HMAC, intent and keyword (the consent
-- evidence) but not the number or the text (free text names people). Scope all: every text.
-- Each scrubbed text's batch, whose report is written again, is read first
-- (deletion/inbound_messages_scrub_batches).
update staging.inbound_messages
set
    from_raw = null,
    e164 = null,
    body = null
where
    e164 in (select doomed_numbers.e164 from doomed_numbers)
    or ($scope = 'all' and (from_raw is not null or body is not null))
